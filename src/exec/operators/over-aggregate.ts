/**
 * Aggregates OVER (PARTITION BY … ORDER BY event_time ROWS|RANGE … PRECEDING) on a stream,
 * as Flink computes them: a row is emitted once, when the watermark passes its event time
 * (so every row before it in time has arrived), with the aggregates over its frame; the
 * output is append-only. A row that arrives below the watermark is late: dropped and
 * recorded, as for windows (SPEC 2.5). Frames slide forward only, so each aggregate is kept
 * incrementally over a sliding range of the partition's history (a monotonic queue for MIN
 * and MAX); only the rows a frame can still reach are kept.
 */
import { SluiceError } from '../../errors.js';
import { formatIsoTimestamp } from '../../plan/functions.js';
import type { OverCall, OverNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { columnsOf, readValue, rowWatermark, type ChangeBatch } from '../batch.js';
import type { Emitter, LateRecord, Operator, OperatorContext } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { SlidingAggregate } from '../agg/sliding-aggregate.js';

interface Row {
  readonly ts: number;
  readonly seq: number;
  readonly values: Value[];
}

interface Partition {
  pending: Row[];
  history: Row[];
  /** The frame of the last emitted row is history[lo, hi). */
  lo: number;
  hi: number;
  aggs: SlidingAggregate<Row>[];
}

export class OverAggregateOperator implements Operator {
  private readonly partitions = new Map<string, Partition>();
  private readonly output: OutputBuilder;
  private readonly timeCol: number;
  private seq = 0;
  /** The last watermark forwarded downstream. */
  private wm = -Infinity;
  /** Output event-time columns besides the ORDER BY one. */
  private readonly otherTimeCols: readonly number[];

  constructor(
    private readonly out: Emitter,
    private readonly node: OverNode,
    private readonly ctx: OperatorContext,
  ) {
    // The pipeline picks this operator for an append-only node only (overNode): an
    // append-only input ordered by its event time, no ranking call.
    if (node.frame.following !== 0) {
      throw new SluiceError('UNSUPPORTED', 'window functions (OVER) on a stream: the frame must end at CURRENT ROW');
    }
    this.timeCol = node.orderBy[0]!.column;
    this.otherTimeCols = node.schema.flatMap((c, i) => (c.timeAttr === true && i !== this.timeCol ? [i] : []));
    this.output = new OutputBuilder(node.schema);
  }

  private partition(key: string): Partition {
    let p = this.partitions.get(key);
    if (!p) {
      p = { pending: [], history: [], lo: 0, hi: 0, aggs: [] };
      p.aggs = this.node.calls.map((c) => new SlidingAggregate(c, c.arg === null ? null : (r: Row) => r.values[c.arg!]!));
      this.partitions.set(key, p);
    }
    return p;
  }

  private key(values: readonly Value[]): string {
    return this.node.partitionBy.length === 0 ? '' : JSON.stringify(this.node.partitionBy.map((i) => values[i]));
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
        const row: Record<string, unknown> = {};
        schema.forEach((c, j) => (row[c.name] = c.type === 'TIMESTAMP' && typeof values[j] === 'number' ? formatIsoTimestamp(values[j] as number) : values[j]));
        late.push({
          source: batch.origin?.source ?? null,
          offset: batch.origin ? batch.origin.offsets[i]! : null,
          eventTime: ts as number,
          watermark: wm,
          row: JSON.stringify(row),
        });
        continue;
      }
      this.partition(this.key(values)).pending.push({ ts: ts as number, seq: this.seq++, values });
    }
    if (late.length > 0) this.ctx.recordLate(late);
  }

  onWatermark(wm: number): void {
    for (const [key, p] of this.partitions) {
      const ready = p.pending.filter((r) => r.ts < wm).sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      if (ready.length === 0) continue;
      p.pending = p.pending.filter((r) => r.ts >= wm);
      this.emitRows(p, ready);
      this.trim(p);
      if (p.pending.length === 0 && p.history.length === 0) this.partitions.delete(key);
    }
    const b = this.output.finish(this.wm, true);
    if (b) this.out.push(b);
    const held = this.heldWatermark(wm);
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  /**
   * The output watermark at input watermark `wm`. A row waits until the watermark passes its
   * ORDER BY time, so its other event-time columns (a join's other side, a window_start) may
   * be below `wm` when it is emitted: the waiting rows hold the watermark back to them.
   */
  private heldWatermark(wm: number): number {
    let held = wm;
    if (this.otherTimeCols.length === 0) return held;
    for (const p of this.partitions.values()) {
      for (const r of p.pending) {
        for (const c of this.otherTimeCols) {
          const v = r.values[c];
          if (typeof v === 'number' && v < held) held = v;
        }
      }
    }
    return held;
  }

  private emitRows(p: Partition, ready: Row[]): void {
    const f = this.node.frame;
    const width = this.node.input.schema.length;
    let k = 0;
    while (k < ready.length) {
      // RANGE frames take a row's peers (same time) too: add them all before computing.
      let end = k + 1;
      if (f.unit === 'RANGE') while (end < ready.length && ready[end]!.ts === ready[k]!.ts) end++;
      for (let g = k; g < end; g++) {
        const r = ready[g]!;
        p.history.push(r);
        const idx = p.history.length - 1;
        // Grow the frame to this row, then cut its start.
        for (; p.hi <= idx; p.hi++) for (const a of p.aggs) a.add(p.history, p.hi);
        if (f.unit === 'ROWS') this.slide(p, f.preceding === null ? 0 : Math.max(0, idx - f.preceding));
        if (f.unit === 'ROWS' || g === end - 1) {
          if (f.unit === 'RANGE') {
            const from = f.preceding === null ? -Infinity : r.ts - f.preceding;
            let lo = p.lo;
            while (lo < p.hi && p.history[lo]!.ts < from) lo++;
            this.slide(p, lo);
          }
          const rows = f.unit === 'RANGE' ? ready.slice(k, end) : [r];
          const results = p.aggs.map((a) => a.value(p.history));
          for (const row of rows) {
            this.output.row(0);
            this.output.values(0, row.values);
            this.output.values(width, results);
          }
        }
      }
      k = end;
    }
  }

  private slide(p: Partition, lo: number): void {
    for (; p.lo < lo; p.lo++) for (const a of p.aggs) a.remove(p.history, p.lo);
  }

  /** Drops history rows no later frame can reach (an UNBOUNDED frame keeps every row). */
  private trim(p: Partition): void {
    const drop = p.lo;
    if (drop < 1024 && drop < p.history.length / 2) return;
    p.history = p.history.slice(drop);
    p.lo -= drop;
    p.hi -= drop;
    for (const a of p.aggs) a.shift(drop);
  }

  snapshot(): unknown {
    const parts = [...this.partitions].map(([key, p]) => ({
      key,
      pending: p.pending.map((r) => [r.seq, r.ts, r.values]),
      // The rows a frame can still reach, oldest first; the aggregates are rebuilt from them.
      history: p.history.slice(p.lo).map((r) => [r.seq, r.ts, r.values]),
      dropped: p.lo,
    }));
    return { parts, seq: this.seq, wm: Number.isFinite(this.wm) ? this.wm : null, unbounded: this.node.frame.preceding === null };
  }

  restore(state: unknown): void {
    const s = state as { parts: { key: string; pending: [number, number, Value[]][]; history: [number, number, Value[]][] }[]; seq: number; wm: number | null };
    this.partitions.clear();
    for (const x of s.parts) {
      const p = this.partition(x.key);
      p.pending = x.pending.map(([seq, ts, values]) => ({ seq, ts, values }));
      p.history = x.history.map(([seq, ts, values]) => ({ seq, ts, values }));
      for (; p.hi < p.history.length; p.hi++) for (const a of p.aggs) a.add(p.history, p.hi);
    }
    this.seq = s.seq;
    this.wm = s.wm ?? -Infinity;
  }

  stateSize(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.pending.length + p.history.length - p.lo;
    return n;
  }

  close(): void {}
}
