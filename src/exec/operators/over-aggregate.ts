/**
 * Window functions OVER (PARTITION BY … ORDER BY event_time ROWS|RANGE …) on an append-only
 * stream, as Flink computes them: aggregates (COUNT, SUM, AVG, MIN, MAX) and navigation
 * functions (LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE). A row joins its partition's
 * ordered history when the watermark passes its event time (every row before it has
 * arrived), and is emitted once, append-only, as soon as its result is decided: at once when
 * the frame ends at or before CURRENT ROW; for a frame ending `n FOLLOWING` (ROWS) or a
 * LEAD(x, n), when n later rows of its partition are in the history; for a RANGE frame ending
 * `INTERVAL FOLLOWING`, when the watermark passes its time plus the interval; at the end of
 * input, always. Rows waiting to be emitted hold the output watermark back to their time. A
 * row that arrives below the watermark is late: dropped and recorded (SPEC 2.5). Frames only
 * move forward, so each aggregate is kept incrementally over a sliding range of the history
 * (a monotonic queue for MIN and MAX); only the rows a frame or LAG can still reach are kept.
 * A frame from UNBOUNDED PRECEDING (a running total, a forward fill with LAST_VALUE … IGNORE
 * NULLS) keeps its aggregates' values, the first rows' values FIRST_VALUE and NTH_VALUE pick
 * from and LAST_VALUE's last one, instead of its rows: a partition costs a few numbers and
 * the rows not yet emitted, however long the stream.
 */
import { valueJson } from '../../value-json.js';
import type { OverCall, OverNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { columnsOf, readValue, rowWatermark, type ChangeBatch } from '../batch.js';
import type { Emitter, LateRecord, Operator, OperatorContext } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { argScale, SlidingAggregate, ValuesArg, type SavedAggregate } from '../agg/sliding-aggregate.js';
import { analyticValue, frameBounds, ignoringNulls, isAnalytic, lagReach, nthNonNullAfter, nthNonNullBefore, rowsAhead } from './over-frame.js';
import { lateRecord } from '../window/late-record.js';

interface Row {
  readonly ts: number;
  readonly seq: number;
  readonly values: Value[];
}

interface Partition {
  /** Rows not yet passed by the watermark, in arrival order. */
  pending: Row[];
  /** Rows passed by the watermark, in event-time order (ties: arrival). */
  history: Row[];
  /** history[next] is the first row not yet emitted. */
  next: number;
  /** The frame of the last emitted row is history[lo, hi) (hi >= lo; empty when the frame was). */
  lo: number;
  hi: number;
  /** One per call; null for a navigation call. */
  aggs: (SlidingAggregate<Row> | null)[];
  /** A growing frame: rows dropped from the front so far (history[0] is row `dropped` of the partition). */
  dropped: number;
  /**
   * A growing frame, per FIRST_VALUE / NTH_VALUE call (null for others): the values it can
   * pick, the partition's first n (non-NULL with IGNORE NULLS), each with its row number.
   */
  firsts: ([Value, number][] | null)[];
  /** A growing frame, per LAST_VALUE call: the value of the last row taken in (with IGNORE NULLS the last non-NULL one). */
  lasts: Value[];
}

type SavedRow = [number, number, Value[]];

export class OverAggregateOperator implements Operator {
  private readonly partitions = new Map<string, Partition>();
  private readonly output: OutputBuilder;
  private readonly timeCol: number;
  private seq = 0;
  /** The last watermark forwarded downstream. */
  private wm = -Infinity;
  /** Output event-time columns besides the ORDER BY one. */
  private readonly otherTimeCols: readonly number[];
  private readonly ahead: number;
  private readonly back: number;
  /** A RANGE frame's FOLLOWING offset in ms (0: none). */
  private readonly aheadMs: number;
  /** Some call reads the frame (LAG and LEAD alone do not: their frame keeps no rows). */
  private readonly framed: boolean;
  /** LAG / LEAD … IGNORE NULLS: they reach as far as it takes to pass their offset's count of non-NULL values. */
  private readonly lagsIgnoring: readonly OverCall[];
  private readonly leadsIgnoring: readonly OverCall[];
  /**
   * The frame starts at UNBOUNDED PRECEDING: rows go once taken in, and the aggregates'
   * values, the first rows' values and the last one are the state.
   */
  private readonly growing: boolean;
  /** A growing frame's LAST_VALUE calls, by index. */
  private readonly lastCalls: readonly number[];
  /** A growing frame: how many first values each call keeps (FIRST_VALUE 1, NTH_VALUE n; 0: none). */
  private readonly firstsWanted: readonly number[];

  constructor(
    private readonly out: Emitter,
    private readonly node: OverNode,
    private readonly ctx: OperatorContext,
  ) {
    // The pipeline picks this operator for an append-only node only (overNode): an
    // append-only input ordered by its event time, no ranking call; the binder refused
    // frames that end at UNBOUNDED FOLLOWING.
    this.timeCol = node.orderBy[0]!.column;
    this.otherTimeCols = node.schema.flatMap((c, i) => (c.timeAttr === true && i !== this.timeCol ? [i] : []));
    this.output = new OutputBuilder(node.schema);
    this.ahead = rowsAhead(node);
    this.back = lagReach(node, true);
    this.lagsIgnoring = ignoringNulls(node, 'LAG');
    this.leadsIgnoring = ignoringNulls(node, 'LEAD');
    const f = node.frame;
    this.aheadMs = f.unit === 'RANGE' && f.following !== null && f.following > 0 ? f.following : 0;
    this.framed = node.calls.some((c) => c.fn !== 'LAG' && c.fn !== 'LEAD');
    this.growing = f.preceding === null;
    this.lastCalls = this.growing ? node.calls.flatMap((c, j) => (c.fn === 'LAST_VALUE' ? [j] : [])) : [];
    this.firstsWanted = node.calls.map((c) => (!this.growing ? 0 : c.fn === 'FIRST_VALUE' ? 1 : c.fn === 'NTH_VALUE' ? c.offset! : 0));
  }

  private partition(key: string): Partition {
    let p = this.partitions.get(key);
    if (!p) {
      p = { pending: [], history: [], next: 0, lo: 0, hi: 0, aggs: [], dropped: 0, firsts: this.firstsWanted.map((n) => (n > 0 ? [] : null)), lasts: this.node.calls.map(() => null) };
      p.aggs = this.node.calls.map((c) =>
        isAnalytic(c.fn) ? null : new SlidingAggregate<Row>(c, c.arg === null ? null : new ValuesArg(c.arg), argScale(this.node, c), this.growing),
      );
      this.partitions.set(key, p);
    }
    return p;
  }

  private key(values: readonly Value[]): string {
    return this.node.partitionBy.length === 0 ? '' : valueJson(this.node.partitionBy.map((i) => values[i]));
  }

  process(batch: ChangeBatch): void {
    const cols = columnsOf(batch);
    const schema = this.node.input.schema;
    const late: LateRecord[] = [];
    for (let i = 0; i < batch.length; i++) {
      const values = schema.map((c, j) => readValue(cols[j]!, i, c.type));
      const ts = values[this.timeCol];
      if (ts === null || ts === undefined) continue;
      const wm = rowWatermark(batch, i);
      if ((ts as number) < wm) {
        late.push(lateRecord(batch, i, schema, this.timeCol, wm));
        continue;
      }
      this.partition(this.key(values)).pending.push({ ts: ts as number, seq: this.seq++, values });
    }
    if (late.length > 0) this.ctx.recordLate(late);
  }

  onWatermark(wm: number): void {
    for (const [key, p] of this.partitions) {
      const ready = p.pending.filter((r) => r.ts < wm).sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      if (ready.length > 0) {
        // Pending rows are at or above the last watermark, history rows below it: appending keeps the order.
        p.pending = p.pending.filter((r) => r.ts >= wm);
        for (const r of ready) {
          this.noteFirst(p, r, p.dropped + p.history.length);
          p.history.push(r);
        }
      }
      this.emitDecided(p, wm);
      this.trim(p);
      // A growing frame's aggregates are the partition's state: it stays.
      if (!this.growing && p.pending.length === 0 && p.next === p.history.length && this.keepFrom(p) >= p.history.length) this.partitions.delete(key);
    }
    const b = this.output.finish(this.wm, true);
    if (b) this.out.push(b);
    const held = this.heldWatermark(wm);
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  /** Row i joins the frame: the aggregates take it in, and a growing frame's LAST_VALUEs note it. */
  private takeIn(p: Partition, h: readonly Row[], i: number): void {
    for (const a of p.aggs) a?.add(h, i);
    for (const j of this.lastCalls) {
      const c = this.node.calls[j]!;
      const v = h[i]!.values[c.arg!]!;
      if (v !== null || c.ignoreNulls !== true) p.lasts[j] = v;
    }
  }

  /** A growing frame: keeps row `at` of the partition's value for the calls still short of their first values. */
  private noteFirst(p: Partition, r: Row, at: number): void {
    for (let j = 0; j < p.firsts.length; j++) {
      const firsts = p.firsts[j];
      if (!firsts || firsts.length >= this.firstsWanted[j]!) continue;
      const c = this.node.calls[j]!;
      const v = r.values[c.arg!]!;
      if (v !== null || c.ignoreNulls !== true) firsts.push([v, at]);
    }
  }

  /** FIRST_VALUE / NTH_VALUE over a growing frame ending before row `end` of the partition. */
  private firstValue(c: OverCall, firsts: readonly [Value, number][], end: number): Value {
    const f = firsts[c.fn === 'NTH_VALUE' ? c.offset! - 1 : 0];
    return f !== undefined && f[1] < end ? f[0] : null;
  }

  /** True when row i's result can no longer change: the rows its frame or LEAD reach are all in. */
  private decided(p: Partition, i: number, wm: number): boolean {
    if (wm === Infinity) return true;
    if (this.ahead > 0 && p.history.length - 1 - i < this.ahead) return false;
    for (const c of this.leadsIgnoring) if (nthNonNullAfter(p.history, c.arg!, i, c.offset!) < 0) return false;
    return this.aheadMs === 0 || wm > p.history[i]!.ts + this.aheadMs;
  }

  private emitDecided(p: Partition, wm: number): void {
    const width = this.node.input.schema.length;
    const h = p.history;
    const key = (j: number) => h[j]!.ts;
    const results: Value[] = new Array(this.node.calls.length);
    for (; p.next < h.length && this.decided(p, p.next, wm); p.next++) {
      const i = p.next;
      const { start, end } = frameBounds(this.node, h.length, i, key, p);
      // The frame only moves forward: grow its end first (an empty frame ends where it starts), then cut its start.
      const hi = Math.max(start, end);
      for (; p.hi < hi; p.hi++) this.takeIn(p, h, p.hi);
      for (; p.lo < start; p.lo++) for (const a of p.aggs) a?.remove(h, p.lo);
      this.node.calls.forEach((c, j) => {
        const a = p.aggs[j];
        const firsts = p.firsts[j];
        // A growing frame's end is where its rows were taken in up to (frame ends only move forward).
        results[j] = a
          ? a.value(h)
          : firsts
            ? this.firstValue(c, firsts, p.dropped + end)
            : this.growing && c.fn === 'LAST_VALUE'
              ? p.lasts[j]!
              : analyticValue(c, h, i, start, end);
      });
      this.output.row(0);
      this.output.values(0, h[i]!.values);
      this.output.values(width, results);
    }
  }

  /**
   * The output watermark at input watermark `wm`: rows not yet emitted hold it back to their
   * event times (the ORDER BY one, and others such as a join's other side or a window_start).
   */
  private heldWatermark(wm: number): number {
    let held = wm;
    for (const p of this.partitions.values()) {
      if (p.next < p.history.length) held = Math.min(held, p.history[p.next]!.ts);
      if (this.otherTimeCols.length === 0) continue;
      for (const list of [p.pending, p.history.slice(p.next)]) {
        for (const r of list) {
          for (const c of this.otherTimeCols) {
            const v = r.values[c];
            if (typeof v === 'number' && v < held) held = v;
          }
        }
      }
    }
    return held;
  }

  /** The first history row a later frame, LAG or emission can still reach. */
  private keepFrom(p: Partition): number {
    // A growing frame needs no row its aggregates have taken in.
    let from = Math.min(this.growing ? p.hi : this.framed ? p.lo : p.next, p.next - this.back);
    for (const c of this.lagsIgnoring) from = Math.min(from, this.lagKeepFrom(p, c));
    return Math.max(0, from);
  }

  /**
   * The first row a LAG … IGNORE NULLS of a row not yet emitted can reach: the n-th non-NULL
   * value back from the next row; with fewer than n, the first of them (the NULLs before it
   * count for nothing).
   */
  private lagKeepFrom(p: Partition, c: OverCall): number {
    const h = p.history;
    const j = nthNonNullBefore(h, c.arg!, p.next, c.offset!);
    if (j >= 0) return j;
    let first = 0;
    while (first < p.next && h[first]!.values[c.arg!] === null) first++;
    return first;
  }

  /** Drops history rows nothing can reach any more (a frame from UNBOUNDED PRECEDING that is not growing keeps every row). */
  private trim(p: Partition): void {
    const drop = this.keepFrom(p);
    if (drop < 1024 && drop < p.history.length / 2) return;
    p.history = p.history.slice(drop);
    // A growing frame starts at the partition's first row, whichever rows are still kept.
    p.lo = this.growing ? 0 : p.lo - drop;
    p.dropped += drop;
    p.hi -= drop;
    p.next -= drop;
    for (const a of p.aggs) a?.shift(drop);
  }

  snapshot(): unknown {
    const parts = [...this.partitions].map(([key, p]) => {
      const from = this.keepFrom(p);
      return {
        key,
        pending: p.pending.map((r): SavedRow => [r.seq, r.ts, r.values]),
        // The rows still reachable, oldest first, and the pointers into them; the aggregates are rebuilt.
        history: p.history.slice(from).map((r): SavedRow => [r.seq, r.ts, r.values]),
        lo: p.lo - from,
        hi: p.hi - from,
        next: p.next - from,
        // A growing frame's aggregates: the rows they took in are gone.
        ...(this.growing ? { aggs: p.aggs.map((a) => a?.saved() ?? null), dropped: p.dropped + from, firsts: p.firsts, lasts: p.lasts } : {}),
      };
    });
    return { parts, seq: this.seq, wm: Number.isFinite(this.wm) ? this.wm : null };
  }

  restore(state: unknown): void {
    const s = state as {
      parts: {
        key: string;
        pending: SavedRow[];
        history: SavedRow[];
        lo: number;
        hi: number;
        next: number;
        aggs?: (SavedAggregate | null)[];
        dropped?: number;
        firsts?: ([Value, number][] | null)[];
        lasts?: Value[];
      }[];
      seq: number;
      wm: number | null;
    };
    this.partitions.clear();
    for (const x of s.parts) {
      const p = this.partition(x.key);
      p.pending = x.pending.map(([seq, ts, values]) => ({ seq, ts, values }));
      p.history = x.history.map(([seq, ts, values]) => ({ seq, ts, values }));
      p.next = x.next;
      if (x.aggs !== undefined) {
        x.aggs.forEach((saved, j) => saved !== null && p.aggs[j]!.restoreSaved(saved));
        p.lo = 0;
        p.hi = x.hi;
        p.dropped = x.dropped ?? 0;
        if (x.firsts !== undefined) p.firsts = x.firsts;
        if (x.lasts !== undefined) p.lasts = x.lasts;
        continue;
      }
      // Every row from the partition's first was kept: the first values are among them.
      p.history.forEach((r, at) => this.noteFirst(p, r, at));
      // Before growing frames were saved so, every row from the frame's start was kept.
      p.lo = p.hi = x.lo;
      for (; p.hi < x.hi; p.hi++) this.takeIn(p, p.history, p.hi);
    }
    this.seq = s.seq;
    this.wm = s.wm ?? -Infinity;
  }

  stateSize(): number {
    let n = 0;
    // A growing frame's partition counts one for its aggregates.
    for (const p of this.partitions.values()) n += p.pending.length + p.history.length - this.keepFrom(p) + (this.growing ? 1 : 0);
    return n;
  }

  close(): void {}
}
