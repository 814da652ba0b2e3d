/**
 * SESSION windows over a changelog input (a Top-N, an outer join, a changelog view): rows
 * come and go, and a retraction can split a session in two as an insert can merge two. Each
 * partition keeps the rows of its open sessions in event-time order; a session is a run of
 * rows less than `gap` apart, [first ts, last ts + gap). After a batch the sessions of every
 * partition it touched are recomputed from their rows and the output rows that changed are
 * emitted (EMIT CHANGES: -D/+I, or -U/+U for the same window and key); when the watermark
 * reaches a session's end it closes (EMIT ON WINDOW CLOSE: its rows are emitted once) and its
 * rows are freed. Lateness follows SPEC 2.5 as for append-only sessions: a change is late when
 * the session it lands in, merged or not, has closed (a retraction: the session holding the
 * row); a late change is dropped and recorded.
 */
import { valueJson } from '../../value-json.js';
import type { AggCall, WindowAggregateNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { pow10, scaleOrZero } from '../../decimal.js';
import { columnsOf, isRetraction, OP_DELETE, OP_INSERT, OP_UPDATE_AFTER, OP_UPDATE_BEFORE, readValue, rowWatermark, type ChangeBatch } from '../batch.js';
import type { Emitter, LateRecord, Operator, OperatorContext } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { beats, sameValue } from '../../sql-order.js';
import { lateRecord } from '../window/late-record.js';

interface Row {
  readonly ts: number;
  readonly seq: number;
  readonly values: Value[];
}

/** One output row: window start, end, group keys and aggregates. */
interface OutRow {
  readonly start: number;
  readonly end: number;
  readonly key: Value[];
  readonly values: Value[];
}

interface Partition {
  /** Rows of open sessions, by event time then arrival. */
  rows: Row[];
  /** Output rows in the result now (EMIT CHANGES), by window and key. */
  emitted: Map<string, OutRow>;
  /** The end of the last closed session: a change before it is late. */
  closedUntil: number;
}

type SavedPartition = [key: string, rows: [number, Value[]][], emitted: OutRow[], closedUntil: number | null];

export class SessionChangelogOperator implements Operator {
  private readonly partitions = new Map<string, Partition>();
  /** Partitions with no open session, by the end of their last closed one (kept until the stream ends: see onWatermark). */
  private readonly idle = new Map<string, number>();
  private readonly output: OutputBuilder;
  private readonly changes: boolean;
  private readonly gap: number;
  private readonly timeCol: number;
  private seq = 0;
  private wm = -Infinity;

  constructor(
    private readonly out: Emitter,
    private readonly node: WindowAggregateNode,
    private readonly ctx: OperatorContext,
  ) {
    this.gap = node.window.gap;
    this.timeCol = node.window.timeCol;
    this.output = new OutputBuilder(node.schema);
    this.changes = node.emit === 'CHANGES';
  }

  private partitionKey(values: readonly Value[]): string {
    return valueJson(this.node.window.partitionBy.map((c) => values[c]));
  }

  /** First index of `rows` sorted at or after (ts, seq). */
  private at(rows: readonly Row[], ts: number, seq: number): number {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const r = rows[mid]!;
      if (r.ts < ts || (r.ts === ts && r.seq < seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The session around position [from, to) of `rows`: the run of rows less than a gap apart. */
  private run(rows: readonly Row[], from: number, to: number): { first: number; last: number } {
    let first = from;
    while (first > 0 && rows[first]!.ts - rows[first - 1]!.ts < this.gap) first--;
    let last = Math.max(from, to - 1);
    while (last + 1 < rows.length && rows[last + 1]!.ts - rows[last]!.ts < this.gap) last++;
    return { first, last };
  }

  process(batch: ChangeBatch): void {
    const cols = columnsOf(batch);
    const schema = this.node.input.schema;
    const touched = new Set<Partition>();
    const late: LateRecord[] = [];
    for (let i = 0; i < batch.length; i++) {
      const values = schema.map((c, j) => readValue(cols[j]!, i, c.type));
      const t = values[this.timeCol];
      if (typeof t !== 'number') continue;
      const wm = rowWatermark(batch, i);
      const pk = this.partitionKey(values);
      let p = this.partitions.get(pk);
      const retract = batch.ops !== null && isRetraction(batch.ops[i]!);
      const dropLate = (): void => void late.push(lateRecord(batch, i, schema, this.timeCol, wm, { start: t, end: t + this.gap }));
      if (t < (p ? p.closedUntil : (this.idle.get(pk) ?? -Infinity))) {
        dropLate();
        continue;
      }
      if (retract) {
        const rows = p?.rows ?? [];
        let k = this.at(rows, t, -1);
        while (k < rows.length && rows[k]!.ts === t && !rows[k]!.values.every((v, j) => sameValue(v, values[j]!))) k++;
        if (k === rows.length || rows[k]!.ts !== t) {
          // Its row is gone with a closed session (or never came): nothing to take back.
          dropLate();
          continue;
        }
        const s = this.run(rows, k, k + 1);
        if (rows[s.last]!.ts + this.gap <= wm) {
          dropLate();
          continue;
        }
        rows.splice(k, 1);
        touched.add(p!);
        continue;
      }
      const rows = p?.rows ?? [];
      const k = this.at(rows, t, this.seq);
      // The session it would join: its neighbours' runs if it comes closer than a gap to them.
      const left = k > 0 && t - rows[k - 1]!.ts < this.gap;
      const right = k < rows.length && rows[k]!.ts - t < this.gap;
      const ends: number[] = [];
      if (left) ends.push(rows[this.run(rows, k - 1, k).last]!.ts + this.gap);
      if (right) ends.push(rows[this.run(rows, k, k + 1).last]!.ts + this.gap);
      if (ends.length === 0 ? t + this.gap <= wm : ends.some((e) => e <= wm)) {
        dropLate();
        continue;
      }
      if (!p) {
        this.partitions.set(pk, (p = { rows, emitted: new Map(), closedUntil: this.idle.get(pk) ?? -Infinity }));
        this.idle.delete(pk);
      }
      p.rows.splice(k, 0, { ts: t, seq: this.seq++, values });
      touched.add(p);
    }
    if (late.length > 0) this.ctx.recordLate(late);
    if (this.changes) {
      for (const p of touched) this.emitChanges(p);
      this.flush();
    }
  }

  /** The output rows (window, keys, aggregates) of the sessions that start among rows [0, to). */
  private sessions(rows: readonly Row[], to = rows.length): OutRow[] {
    const out: OutRow[] = [];
    const extra = this.node.keys;
    let i = 0;
    while (i < to) {
      const { last } = this.run(rows, i, i + 1);
      const start = rows[i]!.ts;
      const end = rows[last]!.ts + this.gap;
      const groups = new Map<string, Row[]>();
      for (let j = i; j <= last; j++) {
        const key = valueJson(extra.map((c) => rows[j]!.values[c]));
        let g = groups.get(key);
        if (!g) groups.set(key, (g = []));
        g.push(rows[j]!);
      }
      for (const g of groups.values()) {
        out.push({ start, end, key: extra.map((c) => g[0]!.values[c]!), values: this.node.aggs.map((a) => aggregate(a, g)) });
      }
      i = last + 1;
    }
    return out;
  }

  private emitChanges(p: Partition): void {
    const now = new Map<string, OutRow>();
    for (const r of this.sessions(p.rows)) now.set(valueJson([r.start, r.end, r.key]), r);
    const inserts: OutRow[] = [];
    for (const [k, old] of p.emitted) {
      const r = now.get(k);
      if (!r) this.append(old, OP_DELETE);
      else if (valueJson(r.values) !== valueJson(old.values)) {
        this.append(old, OP_UPDATE_BEFORE);
        this.append(r, OP_UPDATE_AFTER);
      }
    }
    for (const [k, r] of now) if (!p.emitted.has(k)) inserts.push(r);
    for (const r of inserts) this.append(r, OP_INSERT);
    p.emitted = now;
  }

  private append(r: OutRow, op: number): void {
    this.output.row(op);
    this.output.values(0, [r.start, r.end, r.end - 1, ...r.key, ...r.values]);
  }

  private flush(): void {
    const b = this.output.finish(this.wm, !this.changes);
    if (b) this.out.push(b);
  }

  onWatermark(wm: number): void {
    for (const [pk, p] of this.partitions) {
      // Sessions close in time order: the closed ones are a prefix of the rows.
      let cut = 0;
      while (cut < p.rows.length) {
        const { last } = this.run(p.rows, cut, cut + 1);
        if (p.rows[last]!.ts + this.gap > wm) break;
        cut = last + 1;
      }
      if (cut > 0) {
        const closed = this.sessions(p.rows, cut);
        for (const r of closed) {
          if (!this.changes) this.append(r, OP_INSERT);
          else p.emitted.delete(valueJson([r.start, r.end, r.key]));
        }
        p.closedUntil = Math.max(p.closedUntil, closed[closed.length - 1]!.end);
        p.rows = p.rows.slice(cut);
      }
      // A partition's closed mark stays until the stream ends (see session-aggregate.ts: a chain
      // of rows merging into a later session can reach a closed one however old); without open
      // sessions it is only that mark, set aside so watermarks do not walk it.
      if (p.rows.length === 0 && p.emitted.size === 0) {
        this.partitions.delete(pk);
        if (Number.isFinite(p.closedUntil)) this.idle.set(pk, p.closedUntil);
      }
    }
    if (wm === Infinity) this.idle.clear();
    this.flush();
    // A later on-time row starts a session after wm − gap, or joins an open one.
    let held = wm;
    if (wm !== Infinity) {
      for (const p of this.partitions.values()) if (p.rows.length > 0) held = Math.min(held, p.rows[0]!.ts);
      held -= this.gap;
    }
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  snapshot(): unknown {
    const parts: SavedPartition[] = [...this.partitions].map(([k, p]) => [
      k,
      p.rows.map((r): [number, Value[]] => [r.seq, r.values]),
      [...p.emitted.values()],
      Number.isFinite(p.closedUntil) ? p.closedUntil : null,
    ]);
    for (const [k, until] of this.idle) parts.push([k, [], [], until]);
    return { parts, seq: this.seq, wm: Number.isFinite(this.wm) ? this.wm : null };
  }

  restore(state: unknown): void {
    const s = state as { parts: SavedPartition[]; seq: number; wm: number | null };
    this.partitions.clear();
    this.idle.clear();
    for (const [k, rows, emitted, until] of s.parts) {
      if (rows.length === 0 && emitted.length === 0) {
        if (until !== null) this.idle.set(k, until);
        continue;
      }
      this.partitions.set(k, {
        rows: rows.map(([seq, values]) => ({ seq, values, ts: values[this.timeCol] as number })),
        emitted: new Map(emitted.map((r) => [valueJson([r.start, r.end, r.key]), r])),
        closedUntil: until ?? -Infinity,
      });
    }
    this.seq = s.seq;
    this.wm = s.wm ?? -Infinity;
  }

  stateSize(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.rows.length;
    return n;
  }

  close(): void {}
}

/** One aggregate over a group's rows, NULL inputs skipped (COUNT(*) counts every row). */
function aggregate(a: AggCall, rows: readonly Row[]): Value {
  if (a.arg === null) return rows.length;
  let xs = rows.map((r) => r.values[a.arg!]!).filter((v) => v !== null);
  if (a.distinct) xs = [...new Set(xs)];
  switch (a.fn) {
    case 'COUNT':
      return xs.length;
    case 'SUM':
      return xs.length === 0 ? null : (xs as number[]).reduce((x, y) => x + y, 0);
    case 'AVG':
      // A DECIMAL sums unscaled: divide by 10^scale too.
      return xs.length === 0 ? null : (xs as number[]).reduce((x, y) => x + y, 0) / (xs.length * pow10(scaleOrZero(a.argType ?? 'NULL')));
    case 'MIN':
      return xs.length === 0 ? null : xs.reduce((x, y) => (beats(y, x, false) ? y : x));
    case 'MAX':
      return xs.length === 0 ? null : xs.reduce((x, y) => (beats(y, x, true) ? y : x));
  }
}
