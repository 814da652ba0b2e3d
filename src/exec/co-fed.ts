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
 * watermark moves on every input. Only a late row needs the exact watermark, so a batch goes
 * in pieces: a piece starts at each late row, with every input's watermark moved to that
 * row's first, and the on-time rows after it go with it (on time under any watermark up to
 * their own); each piece reaches every input in turn. (Runs of equal watermark would be
 * exact for on-time rows too, at a push per distinct watermark: about one per row.) A join
 * orders the pairs of one piece itself (see JoinOperator's candidates). The pipeline's
 * output is held meanwhile, so the view takes the batch's changes at once.
 */
import { sliceChange } from './batch-ops.js';
import type { RecordBatch } from 'apache-arrow';
import { columnsOf, isValid, rowWatermark, type ChangeBatch } from './batch.js';
import type { Schema } from '../types.js';
import type { Emitter } from './operator.js';
import type { SourceInput, ViewInput } from './pipeline.js';
import type { RowPartitions } from './watermark-tracker.js';

/**
 * Pushes `batches[k]` (the same rows, as input k sees them) to `targets[k]` in pieces: a
 * piece starts at each row where `lateAt` holds (a row that came behind the watermark it
 * arrived under). Before each piece, each target's watermark moves to that of the piece's
 * first row when above `floors[k]` (the watermark it was last given, updated here): rows an
 * operator below dropped (a filter) may have moved it before the first row that reached
 * here. The rows after a piece's first row are on time, so no watermark they meet up to
 * their own decides them.
 */
export function pushInPieces(targets: readonly Emitter[], batches: readonly ChangeBatch[], floors: number[], lateAt: (i: number) => boolean): void {
  const n = batches[0]!.length;
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && !lateAt(i)) continue;
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

/**
 * Per row, whether one of its time attributes (in the first of `batches` whose `schemas`
 * has one) is below the watermark it arrived under. A row without one cannot be late.
 */
export function lateRows(batches: readonly ChangeBatch[], schemas: readonly Schema[]): (i: number) => boolean {
  for (let k = 0; k < batches.length; k++) {
    const b = batches[k]!;
    const cols: number[] = [];
    schemas[k]!.forEach((c, j) => {
      if (c.timeAttr === true) cols.push(j);
    });
    if (cols.length === 0) continue;
    const wm = b.wm;
    if (wm === null) break;
    const data = columnsOf(b);
    return (i) => {
      for (const j of cols) {
        const d = data[j]!;
        if ((d.values as Float64Array)[i]! < wm[i]! && isValid(d, i)) return true;
      }
      return false;
    };
  }
  return () => false;
}

/**
 * `inputs` in groups: each input without siblings alone, and the siblings among `inputs`
 * together (in their pipeline's order), in the order the groups first appear.
 */
export function siblingGroups<T extends { readonly siblings: readonly T[] | null }>(inputs: Iterable<T>): T[][] {
  const all = inputs instanceof Set ? (inputs as Set<T>) : new Set(inputs);
  const groups: T[][] = [];
  const grouped = new Set<T>();
  for (const input of all) {
    if (grouped.has(input)) continue;
    const group = input.siblings === null ? [input] : input.siblings.filter((s) => all.has(s));
    for (const s of group) grouped.add(s);
    groups.push(group);
  }
  return groups;
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
  inputs[0]!.pipeline!.held(() => {
    pushInPieces(inputs.map((i) => i.out), taken, floors, lateRows(taken, inputs.map((i) => i.node.schema)));
    inputs.forEach((input, k) => input.catchUpWatermark(floors[k]!));
  });
}

/** Delivers a change batch of the view to inputs of one pipeline that read it, together. */
export function pushViewTogether(inputs: readonly ViewInput[], batch: ChangeBatch): void {
  const taken = inputs.map((i) => i.take(batch));
  inputs[0]!.pipeline!.held(() =>
    pushInPieces(
      inputs.map((i) => i.out),
      taken,
      inputs.map((i) => i.lastWatermark),
      lateRows(taken, inputs.map((i) => i.node.schema)),
    ),
  );
}
