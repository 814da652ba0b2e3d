/**
 * Event-time temporal join (SPEC 2.7, Flink's `FOR SYSTEM_TIME AS OF`): each left row meets
 * the version of the right row of its key valid at the row's time — the latest version at
 * or before it, of two at the same time the later arrived.
 *
 * Left rows wait, in their arrival batches, on a heap by time until the watermark of both
 * inputs passes them (a right version at that time could still come before); then each is
 * joined once and emitted (+I), so the output is append-only and its watermark is the
 * inputs' minimum. A left row below its own input's watermark is late: recorded, not joined.
 * A left row with a NULL time or key meets nothing (LEFT: emitted padded at once).
 *
 * Right rows are versions: kept per key sorted by time, as the Arrow columns they came in.
 * Retractions of a changelog right side are ignored (the next version replaces the last).
 * Once the watermark M has passed, every waiting and future left row is at or after M, so a
 * key keeps only its newest version at or below M and those after it: state is bounded by
 * keys, not by time.
 */
import type { Data } from 'apache-arrow';
import type { TemporalJoinNode } from '../../plan/logical-plan.js';
import type { Schema, Value } from '../../types.js';
import { arrowSchema, batchFromRows, ColumnBuilder, columnsOf, isRetraction, isValid, makeRecordBatch, readValue, rowWatermark, type ChangeBatch } from '../batch.js';
import { compilePredicate, type CompiledPredicate } from '../expr/compile.js';
import { WatermarkMerger, type Emitter, type LateRecord, type Operator, type OperatorContext } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { KeyTable } from '../vector/key-table.js';
import { lateRecord } from '../window/late-record.js';
import { NumberHeap } from '../window/number-heap.js';

const REF_SPLIT = 2 ** 21;

/** Rows kept by reference (batch * REF_SPLIT + row) into the batches they arrived in. */
class RowStore {
  readonly batches: (readonly Data[] | null)[] = [];
  private readonly live: number[] = [];

  add(cols: readonly Data[]): number {
    this.batches.push(cols);
    this.live.push(0);
    return this.batches.length - 1;
  }

  hold(ref: number): void {
    this.live[Math.floor(ref / REF_SPLIT)]!++;
  }

  /** Lets a row go; a batch with none left is freed. */
  release(ref: number): void {
    const b = Math.floor(ref / REF_SPLIT);
    if (--this.live[b]! === 0) this.batches[b] = null;
  }

  /** Frees batch b at once if none of its rows was kept. */
  freeIfUnused(b: number): void {
    if (this.live[b] === 0) this.batches[b] = null;
  }

  append(ref: number, builders: readonly ColumnBuilder[], from: number, width: number): void {
    const cols = this.batches[Math.floor(ref / REF_SPLIT)]!;
    const row = ref % REF_SPLIT;
    for (let j = 0; j < width; j++) builders[from + j]!.appendFrom(cols[j]!, row);
  }

  values(ref: number, types: Schema): Value[] {
    const cols = this.batches[Math.floor(ref / REF_SPLIT)]!;
    return types.map((c, j) => readValue(cols[j]!, ref % REF_SPLIT, c.type));
  }
}

/** One key's versions, by time; equal times in arrival order. */
interface Versions {
  times: number[];
  refs: number[];
}

/** The position after the last version at or before t (-1 from it: the version valid at t). */
function upperBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class TemporalJoinOperator implements Operator {
  private readonly keys: KeyTable;
  private readonly versions = new Map<number, Versions>();
  /** Keys holding more than one version: the ones a watermark may trim. */
  private readonly trimmable = new Set<number>();
  private readonly right = new RowStore();
  private readonly left = new RowStore();
  /** Key id of each stored left row, per batch (-1: a NULL key). */
  private readonly leftKeyIds: (Int32Array | null)[] = [];
  private readonly waiting = new NumberHeap();
  private readonly merger = new WatermarkMerger(2);
  private emitted = -Infinity;
  private versionCount = 0;
  private readonly output: OutputBuilder;
  private readonly residual: CompiledPredicate | null;
  private readonly pairSchema;
  private readonly leftWidth: number;
  private readonly rightWidth: number;

  constructor(
    private readonly out: Emitter,
    private readonly node: TemporalJoinNode,
    private readonly ctx: OperatorContext,
    private readonly params: readonly Value[] = [],
  ) {
    this.keys = new KeyTable(node.rightKeys.map((k) => node.right.schema[k]!.type));
    this.output = new OutputBuilder(node.schema);
    this.residual = node.condition ? compilePredicate(node.condition) : null;
    this.pairSchema = arrowSchema(node.schema);
    this.leftWidth = node.left.schema.length;
    this.rightWidth = node.right.schema.length;
  }

  /** Key ids of n rows (-1 where a key column is NULL: it matches nothing). */
  private keyIds(keyCols: readonly Data[], n: number): Int32Array {
    const ids = new Int32Array(n);
    this.keys.findOrInsert(keyCols, n, ids);
    for (const c of keyCols) {
      if (c.nullCount === 0) continue;
      for (let i = 0; i < n; i++) if (!isValid(c, i)) ids[i] = -1;
    }
    return ids;
  }

  process(batch: ChangeBatch, input: number): void {
    if (batch.length === 0) return;
    if (input === 1) this.addVersions(columnsOf(batch), batch.length, batch.ops);
    else this.addLeft(batch);
  }

  private addVersions(cols: readonly Data[], n: number, ops: Uint8Array | null): void {
    const ids = this.keyIds(this.node.rightKeys.map((k) => cols[k]!), n);
    const timeCol = cols[this.node.rightTime]!;
    const times = timeCol.values as Float64Array;
    const b = this.right.add(cols);
    for (let i = 0; i < n; i++) {
      if (ids[i]! < 0 || !isValid(timeCol, i) || (ops !== null && isRetraction(ops[i]!))) continue;
      const ref = b * REF_SPLIT + i;
      this.insertVersion(ids[i]!, times[i]!, ref);
    }
    this.right.freeIfUnused(b);
  }

  private insertVersion(id: number, t: number, ref: number): void {
    let v = this.versions.get(id);
    if (!v) this.versions.set(id, (v = { times: [], refs: [] }));
    const at = upperBound(v.times, t);
    v.times.splice(at, 0, t);
    v.refs.splice(at, 0, ref);
    this.right.hold(ref);
    this.versionCount++;
    if (v.times.length > 1) this.trimmable.add(id);
  }

  private addLeft(batch: ChangeBatch): void {
    const n = batch.length;
    const cols = columnsOf(batch);
    // Inserted, not looked up: the key's first version may still come before the row is joined.
    const ids = this.keyIds(this.node.leftKeys.map((k) => cols[k]!), n);
    const timeCol = cols[this.node.leftTime]!;
    const times = timeCol.values as Float64Array;
    const b = this.left.add(cols);
    this.leftKeyIds.push(ids);
    const late: LateRecord[] = [];
    const now: number[] = [];
    for (let i = 0; i < n; i++) {
      const ref = b * REF_SPLIT + i;
      if (!isValid(timeCol, i)) {
        // No time, no version: only a LEFT join has a row to show for it.
        if (this.node.joinType === 'LEFT') now.push(ref);
        continue;
      }
      const wm = rowWatermark(batch, i);
      if (times[i]! < wm) {
        late.push(lateRecord(batch, i, this.node.left.schema, this.node.leftTime, wm));
        continue;
      }
      this.left.hold(ref);
      this.waiting.push(times[i]!, ref);
    }
    if (late.length > 0) this.ctx.recordLate(late);
    if (now.length > 0) {
      for (const ref of now) this.left.hold(ref);
      this.emit(now, now.map(() => -1));
    }
    this.left.freeIfUnused(b);
    if (this.left.batches[b] === null) this.leftKeyIds[b] = null;
  }

  onWatermark(wm: number, input: number): void {
    const m = this.merger.update(input, wm);
    if (m === undefined) return;
    const rows: number[] = [];
    const found: number[] = [];
    while (this.waiting.size > 0 && this.waiting.peekKey()! < m) {
      const [t, ref] = this.waiting.pop()!;
      const id = this.leftKeyIds[Math.floor(ref / REF_SPLIT)]![ref % REF_SPLIT]!;
      const v = id < 0 ? undefined : this.versions.get(id);
      const at = v ? upperBound(v.times, t) - 1 : -1;
      rows.push(ref);
      found.push(at >= 0 ? v!.refs[at]! : -1);
    }
    if (rows.length > 0) this.emit(rows, found);
    this.trim(m);
    this.emitted = m;
    this.out.watermark(m);
  }

  /** Emits each left row with its version (-1: none), applying the rest of ON; releases the left rows. */
  private emit(rows: readonly number[], found: readonly number[]): void {
    const ok = this.residualHolds(rows, found);
    const o = this.output;
    const lw = this.leftWidth;
    for (let q = 0; q < rows.length; q++) {
      const matched = found[q]! >= 0 && ok[q] === 1;
      if (matched || this.node.joinType === 'LEFT') {
        o.row(0);
        this.left.append(rows[q]!, o.columns, 0, lw);
        if (matched) this.right.append(found[q]!, o.columns, lw, this.rightWidth);
        else for (let j = 0; j < this.rightWidth; j++) o.columns[lw + j]!.appendNull();
      }
      this.left.release(rows[q]!);
      const b = Math.floor(rows[q]! / REF_SPLIT);
      if (this.left.batches[b] === null) this.leftKeyIds[b] = null;
    }
    const out = o.finish(this.emitted, true);
    if (out) this.out.push(out);
  }

  /** Per pair, whether the residual condition is TRUE (all pairs without one). */
  private residualHolds(rows: readonly number[], found: readonly number[]): Uint8Array {
    const m = rows.length;
    const ok = new Uint8Array(m);
    if (!this.residual) return ok.fill(1);
    const builders = this.node.schema.map((c) => new ColumnBuilder(c.type, m));
    for (let q = 0; q < m; q++) {
      this.left.append(rows[q]!, builders, 0, this.leftWidth);
      if (found[q]! >= 0) this.right.append(found[q]!, builders, this.leftWidth, this.rightWidth);
      else for (let j = 0; j < this.rightWidth; j++) builders[this.leftWidth + j]!.appendNull();
    }
    const pairs = makeRecordBatch(this.pairSchema, builders.map((b) => b.finish()), m);
    const { sel, count } = this.residual.select(columnsOf(pairs), m, this.params);
    for (let k = 0; k < count; k++) ok[sel[k]!] = 1;
    return ok;
  }

  /** Drops each key's versions older than its newest at or below m (no row at or after m needs them). */
  private trim(m: number): void {
    for (const id of this.trimmable) {
      const v = this.versions.get(id)!;
      const keep = upperBound(v.times, m) - 1;
      if (keep > 0) {
        for (let i = 0; i < keep; i++) this.right.release(v.refs[i]!);
        v.times.splice(0, keep);
        v.refs.splice(0, keep);
        this.versionCount -= keep;
      }
      if (v.times.length <= 1) this.trimmable.delete(id);
    }
  }

  snapshot(): unknown {
    const right: Value[][] = [];
    for (const v of this.versions.values()) for (const ref of v.refs) right.push(this.right.values(ref, this.node.right.schema));
    const left: [number, Value[]][] = [];
    const all: [number, number][] = [];
    while (this.waiting.size > 0) all.push(this.waiting.pop()!);
    for (const [t, ref] of all) {
      this.waiting.push(t, ref);
      left.push([t, this.left.values(ref, this.node.left.schema)]);
    }
    return { wm: this.merger.save(), emitted: Number.isFinite(this.emitted) ? this.emitted : null, right, left };
  }

  restore(state: unknown): void {
    const s = state as { wm: (number | null)[]; emitted: number | null; right: Value[][]; left: [number, Value[]][] };
    this.merger.load(s.wm);
    this.emitted = s.emitted ?? -Infinity;
    if (s.right.length > 0) {
      // Versions were saved per key in order, so re-adding them in that order keeps ties in arrival order.
      const data = batchFromRows(this.node.right.schema, s.right);
      this.addVersions(columnsOf(data), s.right.length, null);
    }
    if (s.left.length > 0) {
      const data = batchFromRows(this.node.left.schema, s.left.map((r) => r[1]));
      const cols = columnsOf(data);
      const n = s.left.length;
      const b = this.left.add(cols);
      this.leftKeyIds.push(this.keyIds(this.node.leftKeys.map((k) => cols[k]!), n));
      for (let i = 0; i < n; i++) {
        this.left.hold(b * REF_SPLIT + i);
        this.waiting.push(s.left[i]![0], b * REF_SPLIT + i);
      }
    }
  }

  stateSize(): number {
    return this.versionCount + this.waiting.size;
  }

  close(): void {}
}
