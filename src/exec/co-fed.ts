/**
 * Inputs fed the same rows inside one pipeline: a source read twice (`s a JOIN s b`,
 * `… FROM s WHERE x UNION ALL … FROM s WHERE y`), a view read twice, a shared subplan
 * consumed in two places. Where their paths meet (a join, a union), an operator judges each
 * row against the other input's watermark. Fed one whole batch after the other, the second
 * input's watermark still stands where it stood before the batch while the first input's
 * rows go through, and the first input's has already moved past the batch when the second's
 * come: a window downstream then judges late rows by how the rows were cut into batches.
 *
 * The reference is rows coming one at a time: each row reaches every such input, then the
 * watermark moves on every input. Runs of rows that arrived under the same watermark are
 * delivered that way: the run to every input in turn, then the next run's watermark to
 * every input. Within a run no watermark moves, so the order of its rows across inputs
 * changes no row's lateness (a join orders the pairs of a run itself, see JoinOperator's
 * candidates). Where the rows' time attributes are known, only a late row needs the exact
 * watermark: a piece starts at each late row, and the on-time rows after it go with it (on
 * time under any watermark up to their own); runs of equal watermark would cost a push per
 * distinct watermark, about one per row. The pipeline's output is held meanwhile, so the
 * view takes the batch's changes at once.
 */
import { sliceRows } from './batch-ops.js';
import type { RecordBatch } from 'apache-arrow';
import { columnsOf, isValid, rowWatermark, type ChangeBatch } from './batch.js';
import type { Schema } from '../types.js';
import type { Emitter } from './operator.js';
import type { SourceInput, ViewInput } from './pipeline.js';
import type { RowPartitions } from './watermark-tracker.js';

/**
 * Pushes `batches[k]` (the same rows, as input k sees them) to `targets[k]` in pieces: a
 * piece starts at each row where `lateAt` holds (a row that came behind the watermark it
 * arrived under), or, with `lateAt` null (the rows' time is not known), at every row that
 * arrived under a higher watermark than the one before. Before each piece, each target's
 * watermark moves to that of the piece's first row when above `floors[k]` (the watermark it
 * was last given, updated here): rows an operator below dropped (a filter) may have moved it
 * before the first row that reached here. The rows after a piece's first row are on time
 * (or, without `lateAt`, under the same watermark), so no watermark they meet decides them.
 */
export function pushInRuns(targets: readonly Emitter[], batches: readonly ChangeBatch[], floors: number[], lateAt: ((i: number) => boolean) | null): void {
  const n = batches[0]!.length;
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && !(lateAt === null ? runBreaks(batches, i) : lateAt(i))) continue;
    for (let k = 0; k < targets.length; k++) {
      const w = rowWatermark(batches[k]!, start);
      if (w > floors[k]!) {
        floors[k] = w;
        targets[k]!.watermark(w);
      }
    }
    for (let k = 0; k < targets.length; k++) {
      const b = batches[k]!;
      targets[k]!.push(start === 0 && i === n ? b : sliceChange(b, start, i));
    }
    start = i;
  }
}

/** Whether row i of any batch arrived under a higher watermark than the row before it. */
function runBreaks(batches: readonly ChangeBatch[], i: number): boolean {
  for (const b of batches) if (b.wm !== null && b.wm[i]! !== b.wm[i - 1]!) return true;
  return false;
}

/**
 * Per row of `b`, whether one of its time attributes is below the watermark it arrived
 * under; null when the schema has none (its rows' lateness cannot be told here).
 */
export function lateRows(b: ChangeBatch, schema: Schema): ((i: number) => boolean) | null {
  const cols: number[] = [];
  schema.forEach((c, j) => {
    if (c.timeAttr === true) cols.push(j);
  });
  if (cols.length === 0) return null;
  const wm = b.wm;
  if (wm === null) return () => false;
  const data = columnsOf(b);
  return (i) => {
    for (const j of cols) {
      const d = data[j]!;
      if ((d.values as Float64Array)[i]! < wm[i]! && isValid(d, i)) return true;
    }
    return false;
  };
}

/** Rows [start, end) of a change batch, every per-row fact kept aligned. */
export function sliceChange(b: ChangeBatch, start: number, end: number): ChangeBatch {
  const w = b.wm;
  let wm: Float64Array | null = null;
  let wmConst = b.wmConst;
  if (w !== null) {
    // Mostly one value: a run.
    if (w[start] === w[end - 1]) wmConst = w[start]!;
    else wm = w.slice(start, end);
  }
  return {
    data: sliceRows(b.data, start, end - start),
    length: end - start,
    ops: b.ops === null ? null : b.ops.slice(start, end),
    wm,
    wmConst,
    origin: b.origin === null ? null : { source: b.origin.source, offsets: b.origin.offsets.slice(start, end) },
  };
}

/** Delivers a batch of the source to inputs of one pipeline that read it, together. */
export function deliverTogether(inputs: readonly SourceInput[], batch: RecordBatch, offsets: Float64Array, now: number, partition: string | RowPartitions): void {
  const taken: ChangeBatch[] = [];
  for (const input of inputs) {
    const b = input.take(batch, offsets, now, partition);
    if (b === null) return;
    taken.push(b);
  }
  const floors = taken.map((b) => b.wmConst);
  const scope = inputs[0]!.pipeline;
  scope?.hold();
  try {
    pushInRuns(inputs.map((i) => i.out), taken, floors, lateRows(taken[0]!, inputs[0]!.node.schema));
    inputs.forEach((input, k) => input.catchUpWatermark(floors[k]!));
  } finally {
    scope?.release();
  }
}

/** Delivers a change batch of the view to inputs of one pipeline that read it, together. */
export function pushViewTogether(inputs: readonly ViewInput[], batch: ChangeBatch): void {
  const scope = inputs[0]!.pipeline;
  scope?.hold();
  try {
    const taken = inputs.map((i) => i.take(batch));
    pushInRuns(
      inputs.map((i) => i.out),
      taken,
      inputs.map((i) => i.lastWatermark),
      lateRows(taken[0]!, inputs[0]!.node.schema),
    );
  } finally {
    scope?.release();
  }
}
