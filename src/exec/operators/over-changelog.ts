/**
 * Aggregates, navigation functions (LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE) and ranks
 * (ROW_NUMBER, RANK, DENSE_RANK without a Top-N filter) OVER (PARTITION BY … ORDER BY …
 * ROWS|RANGE frame) whose rows can change:
 * over a changelog input (a Top-N, a GROUP BY, a join that retracts), or ordered by
 * something other than event time, so that a new row can land before rows already
 * computed. Each partition keeps its current rows in order with the aggregates last emitted
 * for each. A batch of changes inserts and removes rows, then recomputes only the rows whose
 * frame, LAG or LEAD reached a changed position (for ROWS BETWEEN p PRECEDING AND f FOLLOWING
 * the f rows before it to the p rows after it; for RANGE and UNBOUNDED frames and ranks every
 * row after it) and emits what changed: +I for a new row, -D for a
 * removed one, -U/+U for a row whose aggregates moved. As in DuckDB, rows that tie on the
 * ORDER BY keys have no defined order among themselves; here they keep their arrival order.
 */
import { SluiceError } from '../../errors.js';
import type { OverCall, OverNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { columnsOf, isRetraction, OP_DELETE, OP_INSERT, OP_UPDATE_AFTER, OP_UPDATE_BEFORE, readValue, type ChangeBatch } from '../batch.js';
import type { Emitter, Operator } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { TimeFloor } from '../time-floor.js';
import { argScale, SlidingAggregate, ValuesArg } from '../agg/sliding-aggregate.js';
import { analyticValue, forMergedRanges, ignoringNulls, isAnalytic, lagReach, rowsAhead } from './over-frame.js';
import { compareValues, lowerBound, partitionKey, rowComparator, type OrderedRow } from './ordered-rows.js';
import { sameValue } from '../../sql-order.js';

function isRanking(fn: OverCall['fn']): boolean {
  return fn === 'ROW_NUMBER' || fn === 'RANK' || fn === 'DENSE_RANK';
}

interface Entry extends OrderedRow {
  /** The aggregates last emitted with this row; null before its first emission. */
  out: Value[] | null;
  /** Its event time while the TimeFloor holds it (NaN: not held). */
  held: number;
}

export class OverChangelogOperator implements Operator {
  /** Partition → its rows; keyed by the value itself when one column partitions (no string built per row). */
  private readonly partitions = new Map<Value, Entry[]>();
  private readonly output: OutputBuilder;
  private seq = 0;
  /** The last watermark forwarded downstream. */
  private wm = -Infinity;
  private readonly floor: TimeFloor<Entry>;
  /** RANGE frames order by one key: its column, and -1 when it descends (the rows before a row hold larger values). */
  private readonly rangeColumn: number;
  private readonly rangeSign: number;
  /** Some call is ROW_NUMBER, RANK or DENSE_RANK: a change moves the numbers of every later row. */
  private readonly ranked: boolean;

  constructor(
    private readonly out: Emitter,
    private readonly node: OverNode,
  ) {
    const bad = (why: string) => new SluiceError('UNSUPPORTED', `window functions (OVER) on a stream: ${why}`);
    this.ranked = node.calls.some((c) => isRanking(c.fn));
    const offsetRange = (n: number | null) => n !== null && n !== 0;
    if (node.frame.unit === 'RANGE' && (offsetRange(node.frame.preceding) || offsetRange(node.frame.following)) && node.orderBy.length !== 1) {
      throw bad('a RANGE frame with an offset needs one ORDER BY key');
    }
    this.rangeColumn = node.orderBy[0]?.column ?? -1;
    this.rangeSign = node.orderBy[0]?.desc === true ? -1 : 1;
    this.compare = rowComparator(node.orderBy);
    this.output = new OutputBuilder(node.schema);
    this.floor = new TimeFloor(TimeFloor.columnsOf(node.input.schema));
    // A change reaches every later row's LAG … IGNORE NULLS (and every earlier LEAD's) across NULLs.
    this.ahead = ignoringNulls(node, 'LEAD').length > 0 ? Infinity : rowsAhead(node);
    this.back = lagReach(node);
    this.aggs = node.calls.map((c) =>
      isRanking(c.fn) || isAnalytic(c.fn) ? null : new SlidingAggregate<Entry>(c, c.arg === null ? null : new ValuesArg(c.arg), argScale(node, c)),
    );
    this.now = node.calls.map(() => null);
  }

  /** Per call its running aggregate (null: a rank or navigation function), reset per range computed. */
  private readonly aggs: (SlidingAggregate<Entry> | null)[];
  /** Scratch: the values a recomputed row's calls have now. */
  private readonly now: Value[];

  /** Rows ahead of / behind a row that its LEAD or ROWS frame end, or its LAG, reach. */
  private readonly ahead: number;
  private readonly back: number;

  private readonly compare: (a: Entry, b: Entry) => number;

  /** The first index whose row sorts at or after `e` (the ORDER BY keys, then arrival). */
  private lowerBound(rows: readonly Entry[], e: Entry): number {
    return lowerBound(rows, e, this.compare);
  }

  /** True when a and b tie on every ORDER BY key (RANGE peers). */
  private peers(a: Entry, b: Entry): boolean {
    return this.node.orderBy.every((k) => compareValues(a.values[k.column]!, b.values[k.column]!, k) === 0);
  }

  private key(values: readonly Value[]): Value {
    const by = this.node.partitionBy;
    // One column's values are distinct map keys as they are (NaN one partition, apart from NULL).
    if (by.length === 1) return values[by[0]!]!;
    return partitionKey(by.map((i) => values[i]!));
  }

  private emit(op: number, e: Entry, out: readonly Value[]): void {
    this.output.row(op);
    this.output.values(0, e.values);
    this.output.values(e.values.length, out);
  }

  process(batch: ChangeBatch): void {
    const cols = columnsOf(batch);
    const schema = this.node.input.schema;
    // Per partition touched: the rows that came or went (their sort positions mark where frames changed).
    const changed = new Map<Value, Entry[]>();
    const width = schema.length;
    for (let i = 0; i < batch.length; i++) {
      const values: Value[] = [];
      for (let j = 0; j < width; j++) values.push(readValue(cols[j]!, i, schema[j]!.type));
      const pk = this.key(values);
      let rows = this.partitions.get(pk);
      if (!rows) this.partitions.set(pk, (rows = []));
      let marks = changed.get(pk);
      if (!marks) changed.set(pk, (marks = []));
      if (batch.ops !== null && isRetraction(batch.ops[i]!)) {
        // Any one row equal to the retracted one goes (rows are a multiset).
        const probe: Entry = { values, seq: -1, out: null, held: NaN };
        let at = this.lowerBound(rows, probe);
        // NaN equals NaN here, as a row's copy must be found by its own values.
        while (at < rows.length && !rows[at]!.values.every((v, j) => sameValue(v, values[j]!))) {
          if (!this.peers(rows[at]!, probe)) {
            at = rows.length;
            break;
          }
          at++;
        }
        if (at === rows.length) continue;
        const [gone] = rows.splice(at, 1);
        this.floor.remove(gone!);
        if (gone!.out !== null) this.emit(OP_DELETE, gone!, gone!.out);
        marks.push(gone!);
      } else {
        const e: Entry = { values, seq: this.seq++, out: null, held: NaN };
        rows.splice(this.lowerBound(rows, e), 0, e);
        this.floor.add(e);
        marks.push(e);
      }
    }
    for (const [pk, marks] of changed) {
      const rows = this.partitions.get(pk)!;
      if (rows.length === 0) {
        this.partitions.delete(pk);
        continue;
      }
      this.recompute(rows, marks);
    }
    const b = this.output.finish(this.wm, false);
    if (b) this.out.push(b);
  }

  /** Recomputes the rows whose frame reaches a changed position, and emits their changes. */
  private recompute(rows: Entry[], marks: readonly Entry[]): void {
    const f = this.node.frame;
    const bounded = f.unit === 'ROWS' && f.preceding !== null && !this.ranked;
    // [from, to] ranges of rows to recompute, one per change, then merged.
    const ranges = marks.map((m) => {
      const at = this.lowerBound(rows, m);
      let from = at;
      // A RANGE frame holds the current row's peers: the peers before the change see it too.
      // (Ranks of earlier peers stay: a new row goes after its peers.)
      if (f.unit === 'RANGE') while (from > 0 && this.peers(rows[from - 1]!, m)) from--;
      // Earlier rows whose frame reaches forward to the change, or whose LEAD does.
      if (f.following === null) from = 0;
      else if (f.unit === 'RANGE' && f.following > 0) from = this.rangeReachBack(rows, from, m, f.following);
      from = Math.max(0, from - this.ahead);
      const to = bounded ? at + Math.max(f.preceding!, 0, this.back) : rows.length - 1;
      return [from, Math.min(to, rows.length - 1)] as const;
    });
    forMergedRanges(ranges, (from, to) => this.computeRange(rows, from, to));
  }

  /** The first row before `from` whose RANGE frame ending `following` after it reaches row m's value. */
  private rangeReachBack(rows: readonly Entry[], from: number, m: Entry, following: number): number {
    const c = this.rangeColumn;
    const s = this.rangeSign;
    const v = m.values[c];
    if (v === null) return from;
    while (from > 0) {
      const u = rows[from - 1]!.values[c];
      if (u === null || s * (u as number) < s * (v as number) - following) break;
      from--;
    }
    return from;
  }

  /** Computes rows [from, to] with one forward-sliding frame and emits the rows that changed. */
  private computeRange(rows: Entry[], from: number, to: number): void {
    const f = this.node.frame;
    const calls = this.node.calls;
    const aggs = this.aggs;
    for (const a of aggs) a?.reset();
    const now = this.now;
    let lo = 0;
    let hi = 0;
    let lastEnd = 0;
    // Ranks: the first row of r's peer group, and how many distinct key groups came before it.
    let groupStart = from;
    let groupsBefore = 0;
    if (this.ranked) {
      while (groupStart > 0 && this.peers(rows[groupStart - 1]!, rows[from]!)) groupStart--;
      for (let i = 1; i <= groupStart; i++) if (!this.peers(rows[i - 1]!, rows[i]!)) groupsBefore++;
    }
    const len = rows.length;
    // A ROWS frame's ends are offsets from the row (no peers or values to look at).
    const rowsFrame = f.unit === 'ROWS';
    // The frame of row r is [start(r), end(r)]; both only move forward as r does.
    for (let r = from; r <= to; r++) {
      if (this.ranked && r > from && !this.peers(rows[r - 1]!, rows[r]!)) {
        groupStart = r;
        groupsBefore++;
      }
      let start: number;
      let end: number;
      if (rowsFrame) {
        start = f.preceding === null ? 0 : Math.min(len, Math.max(0, r - f.preceding));
        end = f.following === null ? len : Math.min(len, Math.max(0, r + f.following + 1));
      } else ({ start, end } = this.frame(rows, r, lo, lastEnd));
      lastEnd = end;
      if (r === from) lo = hi = start;
      // Grow the end first (an empty frame ends where it starts), then cut the start.
      const top = Math.max(start, end);
      for (; hi < top; hi++) for (const a of aggs) a?.add(rows, hi);
      for (; lo < start; lo++) for (const a of aggs) a?.remove(rows, lo);
      const e = rows[r]!;
      for (let j = 0; j < calls.length; j++) {
        const c = calls[j]!;
        now[j] =
          c.fn === 'ROW_NUMBER'
            ? r + 1
            : c.fn === 'RANK'
              ? groupStart + 1
              : c.fn === 'DENSE_RANK'
                ? groupsBefore + 1
                : isAnalytic(c.fn)
                  ? analyticValue(c, rows, r, start, end)
                  : aggs[j]!.value(rows);
      }
      const was = e.out;
      if (was === null) this.emit(OP_INSERT, e, now);
      else {
        let same = true;
        for (let j = 0; j < now.length && same; j++) same = Object.is(now[j], was[j]);
        // Unchanged: the row keeps the values it was emitted with (nothing to copy).
        if (same) continue;
        this.emit(OP_UPDATE_BEFORE, e, was);
        this.emit(OP_UPDATE_AFTER, e, now);
      }
      e.out = now.slice();
    }
  }

  /**
   * Row r's frame [start, end) (empty when end <= start); the start searched from `from`, an
   * offset end from `endFrom` (both only move forward as r does). In
   * a RANGE frame with an offset a NULL key's frame is its NULL peers, and NULL rows never
   * join another frame.
   */
  private frame(rows: readonly Entry[], r: number, from: number, endFrom: number): { start: number; end: number } {
    const f = this.node.frame;
    const len = rows.length;
    if (f.unit === 'ROWS') {
      const start = f.preceding === null ? 0 : Math.min(len, Math.max(0, r - f.preceding));
      const end = f.following === null ? len : Math.min(len, Math.max(0, r + f.following + 1));
      return { start, end };
    }
    const peerStart = () => {
      let s = r;
      while (s > 0 && this.peers(rows[s - 1]!, rows[r]!)) s--;
      return s;
    };
    const peerEnd = () => {
      let e = r + 1;
      while (e < len && this.peers(rows[e]!, rows[r]!)) e++;
      return e;
    };
    const c = this.rangeColumn;
    // Descending, the values before a row are larger: comparing -value keeps the ascending arithmetic.
    const s = this.rangeSign;
    const v = rows[r]!.values[c];
    let start = f.preceding === null ? 0 : f.preceding === 0 || v === null ? peerStart() : Math.max(from, 0);
    if (f.preceding !== null && f.preceding !== 0 && v !== null) {
      const min = s * (v as number) - f.preceding;
      while (start < len && (rows[start]!.values[c] === null || s * (rows[start]!.values[c] as number) < min)) start++;
    }
    let end: number;
    if (f.following === null) end = len;
    else if (f.following === 0 || v === null) end = peerEnd();
    else {
      const max = s * (v as number) + f.following;
      end = Math.max(start, endFrom);
      while (end < len && rows[end]!.values[c] !== null && s * (rows[end]!.values[c] as number) <= max) end++;
    }
    return { start, end };
  }

  onWatermark(wm: number): void {
    // A held row can come back (recomputed, retracted) at any time: the watermark waits for it.
    const held = this.floor.enabled && wm !== Infinity ? Math.min(wm, this.floor.min()) : wm;
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  snapshot(): unknown {
    const rows: [number, Value[], Value[] | null][] = [];
    for (const list of this.partitions.values()) for (const e of list) rows.push([e.seq, e.values, e.out]);
    return { rows, seq: this.seq, wm: Number.isFinite(this.wm) ? this.wm : null };
  }

  restore(state: unknown): void {
    const s = state as { rows: [number, Value[], Value[] | null][]; seq: number; wm: number | null };
    this.partitions.clear();
    this.floor.clear();
    for (const [seq, values, out] of s.rows) {
      const pk = this.key(values);
      let list = this.partitions.get(pk);
      if (!list) this.partitions.set(pk, (list = []));
      const e: Entry = { seq, values, out, held: NaN };
      list.push(e);
      this.floor.add(e);
    }
    for (const list of this.partitions.values()) list.sort(this.compare);
    this.seq = s.seq;
    this.wm = s.wm ?? -Infinity;
  }

  stateSize(): number {
    let n = 0;
    for (const list of this.partitions.values()) n += list.length;
    return n;
  }

  close(): void {}
}
