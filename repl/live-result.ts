/**
 * The rows of a live result, folded from its change stream: `+I`/`+U` add a row, `-U`/`-D`
 * remove one equal row. An update (`-U` then `+U` in one delivery) replaces the row where
 * it stands, so a grouped view's table keeps its order while its numbers change. Rows
 * changed recently carry a mark for the display, and deleted rows linger briefly as ghosts
 * so a deletion is seen rather than just missed.
 */
import type { Change, Row } from '../src/engine/rows.js';

/** How a row was last changed: inserted, updated, or (a ghost) deleted. */
export type RowMark = '+I' | '+U' | '-D';

export interface LiveRow {
  readonly row: Row;
  /** Set while the change is recent (within `flashMs`); null afterwards. */
  readonly mark: RowMark | null;
  /** A deleted row still shown for a moment. */
  readonly deleted: boolean;
}

export interface LiveResultOptions {
  /** How long a change stays marked, and a deleted row stays visible, in ms (default 1500). */
  readonly flashMs?: number;
  /**
   * Most rows kept (default 10,000): an endless append-only stream must not grow the
   * REPL's memory without bound, so the oldest rows are dropped beyond it.
   */
  readonly maxRows?: number;
  /** Orders the rows (the query's ORDER BY); arrival order when absent. */
  readonly compare?: (a: Row, b: Row) => number;
}

interface Entry {
  row: Row;
  /** Computed once rows are indexed (see `indexed`). */
  key: string | undefined;
  mark: RowMark;
  at: number;
  deleted: boolean;
}

/** Counts of the changes folded so far. */
export interface ChangeCounts {
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
}

/** Identity of a row's values: equal rows get equal keys (a Date by its time, bigint spelled apart from number). */
export function rowKey(row: Row): string {
  // Built by hand: JSON.stringify with a replacer costs several µs a row, too slow for a fast stream.
  let key = '';
  for (const v of Object.values(row)) {
    if (typeof v === 'number') key += 'n' + v;
    else if (typeof v === 'string') key += JSON.stringify(v);
    else if (v === null || v === undefined) key += 'z';
    else if (typeof v === 'boolean') key += v ? 't' : 'f';
    else if (typeof v === 'bigint') key += 'b' + v;
    else if (v instanceof Date) key += 'd' + v.getTime();
    else key += 'o' + JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
    key += ',';
  }
  return key;
}

export class LiveResult {
  private readonly flashMs: number;
  private readonly maxRows: number;
  private compare: ((a: Row, b: Row) => number) | undefined;
  /** Rows and ghosts by id; a Map keeps insertion order, and `set` on an existing id keeps its place. */
  private readonly entries = new Map<number, Entry>();
  /** Ids of the live (not deleted) rows with each key, oldest first; built at the first retraction. */
  private readonly byKey = new Map<string, number[]>();
  /**
   * Whether `byKey` is kept. An append-only stream never retracts, so its rows are not keyed
   * at all until a retraction shows that they must be found by value.
   */
  private indexed = false;
  private nextId = 0;
  private live = 0;
  private counts = { inserts: 0, updates: 0, deletes: 0 };
  /** Rows dropped because `maxRows` was exceeded. */
  evicted = 0;
  /** Retractions that matched no row (should not happen; counted so it would be noticed). */
  unmatched = 0;

  constructor(options: LiveResultOptions = {}) {
    this.flashMs = options.flashMs ?? 1500;
    this.maxRows = Math.max(1, options.maxRows ?? 10_000);
    this.compare = options.compare;
  }

  /** Sets the order rows are shown in (known only once the query's columns are). */
  setCompare(compare: ((a: Row, b: Row) => number) | undefined): void {
    this.compare = compare;
  }

  /** Rows currently in the result (ghosts not counted). */
  get size(): number {
    return this.live;
  }

  get changeCounts(): ChangeCounts {
    return { ...this.counts };
  }

  /** Folds one delivery of changes, received at time `now` (ms). */
  apply(changes: readonly Change[], now: number): void {
    // Ids retracted by -U in this delivery, waiting for their +U to take their place.
    const slots: number[] = [];
    for (const c of changes) {
      switch (c.op) {
        case '+I':
          this.counts.inserts++;
          this.add(c.row, '+I', now);
          break;
        case '+U': {
          this.counts.updates++;
          const id = slots.shift();
          if (id !== undefined && this.entries.has(id)) {
            const entry: Entry = { row: c.row, key: undefined, mark: '+U', at: now, deleted: false };
            this.entries.set(id, entry);
            this.index(entry, id);
            this.live++;
          } else {
            this.add(c.row, '+U', now);
          }
          break;
        }
        case '-U':
        case '-D': {
          if (c.op === '-D') this.counts.deletes++;
          const id = this.take(rowKey(c.row));
          if (id === undefined) {
            this.unmatched++;
            break;
          }
          const e = this.entries.get(id)!;
          e.deleted = true;
          e.mark = '-D';
          e.at = now;
          this.live--;
          if (c.op === '-U') slots.push(id);
          break;
        }
      }
    }
    // A -U without its +U (a HAVING that drops the updated group) removed the row for good.
    this.counts.deletes += slots.length;
    this.evict();
  }

  /**
   * The rows to show at time `now`: current rows and recent ghosts, in the query's order
   * (or arrival order), with marks on recent changes. Ghosts older than `flashMs` are dropped.
   */
  view(now: number): LiveRow[] {
    const cutoff = now - this.flashMs;
    const out: LiveRow[] = [];
    for (const [id, e] of this.entries) {
      if (e.deleted && e.at <= cutoff) {
        this.entries.delete(id);
        continue;
      }
      out.push({ row: e.row, mark: e.at > cutoff ? e.mark : null, deleted: e.deleted });
    }
    if (this.compare) {
      const cmp = this.compare;
      out.sort((a, b) => cmp(a.row, b.row));
    }
    return out;
  }

  /** The current rows without marks or ghosts, in display order (the final result). */
  rows(): Row[] {
    const out = [...this.entries.values()].filter((e) => !e.deleted).map((e) => e.row);
    return this.compare ? out.sort(this.compare) : out;
  }

  private add(row: Row, mark: RowMark, now: number): void {
    const id = this.nextId++;
    const entry: Entry = { row, key: undefined, mark, at: now, deleted: false };
    this.entries.set(id, entry);
    this.index(entry, id);
    this.live++;
  }

  private index(entry: Entry, id: number): void {
    if (!this.indexed) return;
    const key = (entry.key ??= rowKey(entry.row));
    const ids = this.byKey.get(key);
    if (ids) ids.push(id);
    else this.byKey.set(key, [id]);
  }

  private take(key: string): number | undefined {
    if (!this.indexed) {
      this.indexed = true;
      for (const [id, e] of this.entries) if (!e.deleted) this.index(e, id);
    }
    const ids = this.byKey.get(key);
    if (!ids) return undefined;
    const id = ids.shift();
    if (ids.length === 0) this.byKey.delete(key);
    return id;
  }

  private evict(): void {
    if (this.entries.size <= this.maxRows) return;
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.maxRows) break;
      this.entries.delete(id);
      if (e.deleted) continue;
      this.live--;
      this.evicted++;
      if (e.key === undefined) continue;
      const ids = this.byKey.get(e.key);
      if (ids) {
        const i = ids.indexOf(id);
        if (i >= 0) ids.splice(i, 1);
        if (ids.length === 0) this.byKey.delete(e.key);
      }
    }
  }
}
