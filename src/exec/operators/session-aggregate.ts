/**
 * Aggregation over SESSION windows, per partition key. A row opens [ts, ts + gap) and merges
 * with every session of its partition it comes closer than `gap` to (so one row can bridge
 * two sessions); a session is [first ts, last ts + gap) and closes when the watermark
 * reaches its end. A row first merges with the sessions it comes close to, and is late only
 * when the merged session has closed (SPEC 2.5): when it would take in a session that has
 * closed (that session's result is final), or when it touches no session and its own
 * [ts, ts + gap) has closed. A late row is dropped and recorded. Groups are keyed by (session id, the group keys beyond the partition keys).
 */
import { parseValueJson, valueJson } from '../../value-json.js';
import type { Data } from 'apache-arrow';
import type { WindowAggregateNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { columnsOf, OP_DELETE, OP_INSERT, OP_UPDATE_AFTER, OP_UPDATE_BEFORE, rowWatermark, type ChangeBatch } from '../batch.js';
import { selectRows } from '../batch-ops.js';
import { GroupTable, type SavedGroup } from '../agg/group-table.js';
import type { Emitter, LateRecord, Operator, OperatorContext, StateDelta } from '../operator.js';
import { StateChanges } from '../agg/state-changes.js';
import { OutputBuilder } from '../output-builder.js';
import { float64Column } from '../vector/columns.js';
import { KeyTable } from '../vector/key-table.js';
import { lateRecord } from '../window/late-record.js';
import { ClosedMarks } from '../window/closed-marks.js';
import { MinHeap } from '../window/min-heap.js';

interface Session {
  id: number;
  partition: number;
  start: number;
  last: number;
  readonly groups: Set<number>;
  /** Output rows of this session currently in the result (EMIT CHANGES). */
  emitted: boolean;
  alive: boolean;
}

/** A session's output rows as they stood before this batch changed them. */
interface Before {
  readonly start: number;
  readonly end: number;
  readonly rows: Map<string, { key: Value[]; values: Value[] }>;
}

export class SessionAggregateOperator implements Operator {
  private readonly gap: number;
  private readonly partitionCols: readonly number[];
  private readonly extraKeys: readonly number[];
  private readonly partitions: KeyTable | null;
  private readonly open: (Session[] | undefined)[] = [];
  private readonly closedUntil = new ClosedMarks();
  private readonly table: GroupTable;
  private readonly output: OutputBuilder;
  private readonly changes: boolean;
  private readonly byId = new Map<number, Session>();
  private readonly closing = new MinHeap<Session>();
  /** Open sessions by start, lazily (an entry whose session closed or starts earlier now is stale). */
  private readonly starts = new MinHeap<Session>();
  private nextId = 1;
  private wm = -Infinity;
  /** Sessions changed by the current batch, with their rows before it (EMIT CHANGES). */
  private dirty = new Map<Session, Before | null>();
  /** What changed since the last checkpoint: sessions by id, closed-session marks by partition. */
  private readonly sessionChanges = new StateChanges();
  private readonly tombChanges = new StateChanges();

  constructor(
    private readonly out: Emitter,
    private readonly node: WindowAggregateNode,
    private readonly ctx: OperatorContext,
  ) {
    if (!node.input.appendOnly) throw new Error('SESSION windows over a changelog have their own operator (session-changelog)');
    this.gap = node.window.gap;
    this.partitionCols = node.window.partitionBy;
    this.extraKeys = node.keys.filter((k) => !this.partitionCols.includes(k));
    this.partitions = this.partitionCols.length ? new KeyTable(this.partitionCols.map((k) => node.input.schema[k]!.type)) : null;
    this.table = new GroupTable(['BIGINT', ...this.extraKeys.map((k) => node.input.schema[k]!.type)], node.aggs, false);
    this.output = new OutputBuilder(node.schema);
    this.changes = node.emit === 'CHANGES';
  }

  private partitionIds(cols: readonly Data[], n: number): Int32Array {
    const out = new Int32Array(n);
    if (this.partitions) this.partitions.findOrInsert(this.partitionCols.map((k) => cols[k]!), n, out);
    return out;
  }

  process(batch: ChangeBatch): void {
    const n = batch.length;
    if (n === 0) return;
    const cols = columnsOf(batch);
    const tsCol = cols[this.node.window.timeCol]!;
    const ts = tsCol.values as Float64Array;
    const tsValid = tsCol.nullCount > 0 ? tsCol.nullBitmap! : null;
    const parts = this.partitionIds(cols, n);
    const gap = this.gap;
    const rowSession = new Array<Session | null>(n).fill(null);
    const late: LateRecord[] = [];
    // Rows before `folded` are in the table already.
    let folded = 0;
    for (let i = 0; i < n; i++) {
      if (tsValid && ((tsValid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const t = ts[i]!;
      const p = parts[i]!;
      const wm = rowWatermark(batch, i);
      // A late row's record names its own session window [ts, ts + gap): the session it would
      // have merged into is final and may be gone, and the row's own window does not depend on
      // how the input was cut into batches.
      if (this.closedUntil.get(p) > t) {
        late.push(lateRecord(batch, i, this.node.input.schema, this.node.window.timeCol, wm, { start: t, end: t + gap }));
        continue;
      }
      // Sessions this row comes closer than `gap` to: it merges first (SPEC 2.5) and is late
      // only when the merged session has closed — it takes in a closed session, or it is
      // alone and its own [ts, ts + gap) has closed.
      const touching: Session[] = [];
      for (const s of this.open[p] ?? []) if (s.start - gap < t && t < s.last + gap) touching.push(s);
      if (touching.length === 0 ? t + gap <= wm : touching.some((s) => s.last + gap <= wm)) {
        late.push(lateRecord(batch, i, this.node.input.schema, this.node.window.timeCol, wm, { start: t, end: t + gap }));
        continue;
      }
      const list = (this.open[p] ??= []);
      let target: Session;
      const startBefore = touching.length === 0 ? NaN : touching[0]!.start;
      if (touching.length === 0) {
        target = { id: this.nextId++, partition: p, start: t, last: t, groups: new Set(), emitted: false, alive: true };
        this.byId.set(target.id, target);
        list.push(target);
        list.sort((a, b) => a.start - b.start);
        this.markDirty(target);
      } else {
        target = touching[0]!;
        this.markDirty(target);
        if (touching.length > 1) {
          // Fold the rows before this one first, so sessions merge with the same partial
          // aggregates as when rows come one by one (DOUBLE sums round alike).
          this.fold(batch, rowSession, folded, i);
          folded = i;
        }
        for (const other of touching.slice(1)) this.mergeInto(target, other, list);
        if (t < target.start) target.start = t;
        if (t > target.last) target.last = t;
      }
      if (target.start !== startBefore) this.starts.push(target.start, target);
      // Deadlines are lazy: a session that only grew keeps its old entry, which onWatermark
      // moves to the session's current end when it comes due (one heap entry per session, not per row).
      if (touching.length !== 1) this.closing.push(target.last + gap, target);
      rowSession[i] = target;
    }
    if (late.length > 0) this.ctx.recordLate(late);
    // A partition named only by late rows (or rows without event time) holds nothing: forget it.
    if (this.partitions) {
      for (let i = 0; i < n; i++) {
        const p = parts[i]!;
        if (rowSession[i] !== null || !this.partitions.has(p)) continue;
        if ((this.open[p]?.length ?? 0) === 0 && !this.closedUntil.has(p)) {
          this.partitions.remove(p);
          this.open[p] = undefined;
        }
      }
    }

    this.fold(batch, rowSession, folded, n);
    this.mergedInto.clear();
    if (this.changes) this.emitChanges();
  }

  /** Folds rows [from, to) of the batch into their (session, extra keys) groups. */
  private fold(batch: ChangeBatch, rowSession: readonly (Session | null)[], from: number, to: number): void {
    const sel = new Int32Array(to - from);
    const ids = new Float64Array(to - from);
    const m = this.liveSessions(rowSession, from, to, sel, ids);
    if (m === 0) return;
    const rows = selectRows(batch, sel, m);
    const rc = columnsOf(rows);
    const gids = this.table.lookup([float64Column(ids.slice(0, m)), ...this.extraKeys.map((k) => rc[k]!)], m);
    this.noteGroups(ids, gids, m);
    this.table.update(gids, m, this.node.aggs.map((a) => (a.arg === null ? null : rc[a.arg]!)), null);
  }

  // The loops of fold are methods that end at their loop: compiled on stack replacement inside
  // fold, the code after them deoptimized it on every call (q11: 17 a run).

  /** The rows of [from, to) in a session into sel, and the id of the live session each is in now into ids; returns how many. */
  private liveSessions(rowSession: readonly (Session | null)[], from: number, to: number, sel: Int32Array, ids: Float64Array): number {
    let m = 0;
    for (let i = from; i < to; i++) {
      let s = rowSession[i];
      if (!s) continue;
      while (!s.alive) s = this.mergedInto.get(s.id)!;
      sel[m] = i;
      ids[m++] = s.id;
    }
    return m;
  }

  private noteGroups(ids: Float64Array, gids: Int32Array, m: number): void {
    for (let i = 0; i < m; i++) this.byId.get(ids[i]!)!.groups.add(gids[i]!);
  }

  /** Where merged-away sessions went, for rows of this batch assigned before the merge. */
  private readonly mergedInto = new Map<number, Session>();

  private mergeInto(target: Session, other: Session, list: Session[]): void {
    this.markDirty(other);
    for (const g of other.groups) {
      const saved = this.table.save(g);
      const dst = this.table.insertKey([target.id, ...saved.key.slice(1)]);
      this.table.merge(dst, g);
      target.groups.add(dst);
    }
    other.groups.clear();
    other.alive = false;
    this.sessionChanges.remove(other.id, () => `s:${other.id}`);
    this.byId.delete(other.id);
    this.mergedInto.set(other.id, target);
    list.splice(list.indexOf(other), 1);
    target.start = Math.min(target.start, other.start);
    target.last = Math.max(target.last, other.last);
  }

  private markDirty(s: Session): void {
    this.sessionChanges.touch(s.id);
    if (!this.changes || this.dirty.has(s)) return;
    this.dirty.set(s, s.emitted ? this.rowsOf(s) : null);
  }

  private rowsOf(s: Session): Before {
    const rows = new Map<string, { key: Value[]; values: Value[] }>();
    for (const g of s.groups) {
      const key = this.table.keyValues(g).slice(1);
      rows.set(valueJson(key), { key, values: this.table.values(g) });
    }
    return { start: s.start, end: s.last + this.gap, rows };
  }

  private emitChanges(): void {
    for (const [s, before] of this.dirty) {
      const now = s.alive ? this.rowsOf(s) : null;
      const sameBounds = before !== null && now !== null && before.start === now.start && before.end === now.end;
      for (const [k, oldRow] of before?.rows ?? []) {
        const newRow = sameBounds ? now!.rows.get(k) : undefined;
        if (newRow && sameArray(newRow.values, oldRow.values)) {
          now!.rows.delete(k);
          continue;
        }
        this.appendRow(s.partition, before!.start, before!.end, oldRow.key, oldRow.values, newRow ? OP_UPDATE_BEFORE : OP_DELETE);
        if (newRow) {
          this.appendRow(s.partition, now!.start, now!.end, newRow.key, newRow.values, OP_UPDATE_AFTER);
          now!.rows.delete(k);
        }
      }
      for (const r of now?.rows.values() ?? []) this.appendRow(s.partition, now!.start, now!.end, r.key, r.values, OP_INSERT);
      s.emitted = s.alive;
    }
    this.dirty.clear();
    this.flush();
  }

  /** Appends one output row: window_start, window_end, window_time, keys…, aggregates…. */
  private appendRow(partition: number, start: number, end: number, extra: readonly Value[], values: readonly Value[], op: number): void {
    const o = this.output;
    o.row(op);
    o.columns[0]!.appendNumber(start);
    o.columns[1]!.appendNumber(end);
    o.columns[2]!.appendNumber(end - 1);
    const pkey = this.partitions ? this.partitions.keyValues(partition) : [];
    this.node.keys.forEach((k, j) => {
      const pi = this.partitionCols.indexOf(k);
      o.columns[3 + j]!.append(pi >= 0 ? pkey[pi]! : extra[this.extraKeys.indexOf(k)]!);
    });
    o.values(3 + this.node.keys.length, values);
  }

  private flush(): void {
    const b = this.output.finish(this.wm, !this.changes);
    if (b) this.out.push(b);
  }

  onWatermark(wm: number): void {
    const gap = this.gap;
    // Sessions closing together are emitted by end, then by creation: the same order after a restore.
    const dueSet = new Set<Session>();
    while (this.closing.size > 0 && this.closing.peekKey()! <= wm) {
      const [end, s] = this.closing.pop()!;
      if (s.alive && s.last + gap > end) this.closing.push(s.last + gap, s); // grew since: due later
      else if (s.alive && s.last + gap === end) dueSet.add(s); // else stale: merged away
    }
    const due = [...dueSet];
    due.sort((a, b) => a.last - b.last || a.id - b.id);
    for (const s of due) {
      const end = s.last + gap;
      if (!this.changes) {
        for (const g of s.groups) {
          const key = this.table.keyValues(g).slice(1);
          this.appendRow(s.partition, s.start, end, key, this.table.values(g), OP_INSERT);
        }
      }
      for (const g of s.groups) this.table.remove(g);
      s.alive = false;
      this.sessionChanges.remove(s.id, () => `s:${s.id}`);
      this.byId.delete(s.id);
      const list = this.open[s.partition]!;
      list.splice(list.indexOf(s), 1);
      // An idle partition keeps only its mark (below), not an empty list.
      if (list.length === 0) this.open[s.partition] = undefined;
      const until = Math.max(this.closedUntil.get(s.partition), end);
      this.closedUntil.set(s.partition, until);
      this.tombChanges.touch(s.partition);
    }
    // A partition's closed-session mark is kept until the stream ends: a row that comes within
    // a gap of a closed session is late however long ago it closed, and an open session of the
    // partition can reach back to it through a chain of rows that each merge into it (one
    // within a gap of the next). Forgetting the mark at any earlier point made the outcome
    // depend on where batches were cut. One number per partition key, as a GROUP BY holds.
    if (wm === Infinity) {
      for (const p of [...this.closedUntil.keys()]) {
        this.closedUntil.delete(p);
        this.tombChanges.remove(p, () => this.tombKey(p));
        if (this.partitions && (this.open[p]?.length ?? 0) === 0) {
          this.partitions.remove(p);
          this.open[p] = undefined;
        }
      }
    }
    this.flush();
    const held = this.heldWatermark(wm);
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  /**
   * The output watermark at input watermark `wm`: no later row's window_start is below it.
   * A row on time by SPEC 2.5 starts a session after wm − gap or merges into an open one,
   * reaching at most a gap before its start, and updates or closes open sessions.
   */
  private heldWatermark(wm: number): number {
    if (wm === Infinity) return wm;
    while (this.starts.size > 0) {
      const [start, s] = [this.starts.peekKey()!, this.starts.peekValue()!];
      if (s.alive && s.start === start) break;
      this.starts.pop();
    }
    return Math.min(wm, this.starts.peekKey() ?? Infinity) - this.gap;
  }

  private partitionKey(p: number): Value[] {
    return this.partitions ? this.partitions.keyValues(p) : [];
  }

  private tombKey(p: number): string {
    return `c:${valueJson(this.partitionKey(p))}`;
  }

  /** Sessions under `s:<id>`, closed-session marks under `c:<partition key>`, and `#meta`. */
  checkpointDelta(): StateDelta {
    const sessions = this.sessionChanges.take(
      () => this.byId.keys(),
      (id) => {
        const x = this.byId.get(id)!;
        const value = {
          partition: this.partitionKey(x.partition),
          start: x.start,
          last: x.last,
          emitted: x.emitted,
          groups: [...x.groups].map((g) => this.table.save(g)),
        };
        return [`s:${id}`, value];
      },
      [['#meta', { nextId: this.nextId, wm: Number.isFinite(this.wm) ? this.wm : null }]],
    );
    const tombs = this.tombChanges.take(
      () => this.closedUntil.keys(),
      (p) => [this.tombKey(p), this.closedUntil.get(p)],
      [],
    );
    return { full: sessions.full, puts: [...sessions.puts, ...tombs.puts], deletes: [...sessions.deletes, ...tombs.deletes] };
  }

  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    const sessions: { id: number; partition: Value[]; start: number; last: number; emitted: boolean; groups: SavedGroup[] }[] = [];
    const closed: { partition: Value[]; until: number }[] = [];
    let meta = { nextId: 1, wm: null as number | null };
    for (const [k, v] of entries) {
      if (k === '#meta') meta = v as typeof meta;
      else if (k.startsWith('s:')) sessions.push({ id: Number(k.slice(2)), ...(v as Omit<(typeof sessions)[number], 'id'>) });
      else if (k.startsWith('c:')) closed.push({ partition: parseValueJson(k.slice(2)) as Value[], until: v as number });
    }
    this.restore({ sessions, closed, nextId: meta.nextId, wm: meta.wm });
    this.sessionChanges.restored(this.byId.keys());
    this.tombChanges.restored(this.closedUntil.keys());
  }

  snapshot(): unknown {
    const sessions = [...this.byId.values()].map((s) => ({
      id: s.id,
      partition: this.partitions ? this.partitions.keyValues(s.partition) : [],
      start: s.start,
      last: s.last,
      emitted: s.emitted,
      groups: [...s.groups].map((g) => this.table.save(g)),
    }));
    const closed = [...this.closedUntil.keys()].map((p) => ({
      partition: this.partitions ? this.partitions.keyValues(p) : [],
      until: this.closedUntil.get(p),
    }));
    return { sessions, closed, nextId: this.nextId, wm: Number.isFinite(this.wm) ? this.wm : null };
  }

  restore(state: unknown): void {
    const s = state as {
      sessions: { id: number; partition: Value[]; start: number; last: number; emitted: boolean; groups: SavedGroup[] }[];
      closed: { partition: Value[]; until: number }[];
      nextId: number;
      wm: number | null;
    };
    const pid = (key: Value[]) => (this.partitions ? this.partitions.findOrInsertValues(key) : 0);
    for (const x of s.sessions) {
      const p = pid(x.partition);
      const sess: Session = { id: x.id, partition: p, start: x.start, last: x.last, groups: new Set(), emitted: x.emitted, alive: true };
      for (const g of x.groups) sess.groups.add(this.table.load(g));
      (this.open[p] ??= []).push(sess);
      this.byId.set(sess.id, sess);
      this.closing.push(sess.last + this.gap, sess);
      this.starts.push(sess.start, sess);
    }
    for (const list of this.open) list?.sort((a, b) => a.start - b.start);
    for (const c of s.closed) {
      const p = pid(c.partition);
      this.closedUntil.set(p, c.until);
    }
    this.nextId = s.nextId;
    this.wm = s.wm ?? -Infinity;
  }

  stateSize(): number {
    return this.table.size + this.byId.size + this.closedUntil.size + (this.partitions?.size ?? 0);
  }

  close(): void {}
}

function sameArray(a: readonly Value[], b: readonly Value[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
