/** Whole-batch operations that keep the per-row facts (ops, watermarks, origin) aligned with the rows. */
import type { Data, RecordBatch, Schema as ArrowSchema } from 'apache-arrow';
import { columnsOf, makeRecordBatch, type ChangeBatch } from './batch.js';
import { gather } from './vector/gather.js';
import { sliceColumn } from './vector/columns.js';
import { concatColumns } from './vector/concat.js';

/** The same rows with other columns. */
export function withColumns(b: ChangeBatch, schema: ArrowSchema, columns: readonly Data[]): ChangeBatch {
  return { ...b, data: makeRecordBatch(schema, columns, b.length) };
}

/** The elements of `a` at sel[0..count), in that order. */
export function pick<T extends Float64Array | Int32Array | Uint8Array>(a: T, sel: Int32Array, count: number): T {
  const out = new (a.constructor as { new (n: number): T })(count);
  for (let i = 0; i < count; i++) out[i] = a[sel[i]!]!;
  return out;
}

/** The rows at sel[0..count), in that order. */
export function selectRows(b: ChangeBatch, sel: Int32Array, count: number, schema: ArrowSchema = b.data.schema): ChangeBatch {
  if (count === b.length) {
    let identity = true;
    for (let i = 0; i < count; i++) {
      if (sel[i] !== i) {
        identity = false;
        break;
      }
    }
    if (identity) return b;
  }
  return {
    data: makeRecordBatch(schema, gather(columnsOf(b), sel, count), count),
    length: count,
    ops: b.ops ? pick(b.ops, sel, count) : null,
    wm: b.wm ? pick(b.wm, sel, count) : null,
    wmConst: b.wmConst,
    origin: b.origin ? { source: b.origin.source, offsets: pick(b.origin.offsets, sel, count) } : null,
  };
}

/** +1 for rows that add to the result, -1 for retractions; null when every row is an insert. */
export function signsOf(b: ChangeBatch): Int8Array | null {
  if (b.ops === null) return null;
  const s = new Int8Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const op = b.ops[i]!;
    s[i] = op === 1 || op === 3 ? -1 : 1;
  }
  return s;
}

/** The first n rows of a record batch, with offset-0 columns. */
export function headRows(rb: RecordBatch, n: number): RecordBatch {
  return sliceRows(rb, 0, n);
}

/** Rows [start, start + n) of a record batch, with offset-0 columns (copied). */
export function sliceRows(rb: RecordBatch, start: number, n: number): RecordBatch {
  return makeRecordBatch(rb.schema, columnsOf(rb).map((c) => sliceColumn(c, start, n)), n);
}

/** The rows of every batch (one schema), one after the other, every per-row fact kept. */
export function concatChanges(batches: readonly ChangeBatch[]): ChangeBatch {
  if (batches.length === 1) return batches[0]!;
  let n = 0;
  for (const b of batches) n += b.length;
  const first = batches[0]!;
  const anyOps = batches.some((b) => b.ops !== null);
  const ops = anyOps ? new Uint8Array(n) : null;
  const wm = new Float64Array(n);
  const source = first.origin?.source;
  const sameSource = batches.every((b) => b.origin !== null && b.origin.source === source);
  const offsets = sameSource ? new Float64Array(n) : null;
  let at = 0;
  for (const b of batches) {
    if (ops !== null && b.ops !== null) ops.set(b.ops, at);
    if (b.wm !== null) wm.set(b.wm, at);
    else wm.fill(b.wmConst, at, at + b.length);
    if (offsets !== null) offsets.set(b.origin!.offsets, at);
    at += b.length;
  }
  return {
    data: concatRows(batches.map((b) => b.data)),
    length: n,
    ops,
    wm,
    wmConst: first.wmConst,
    origin: offsets !== null ? { source: source!, offsets } : null,
  };
}

/** Record batches of one schema as one (the first one's schema). */
export function concatRows(batches: readonly RecordBatch[]): RecordBatch {
  const cols = batches.map((b) => columnsOf(b));
  const n = batches.reduce((a, b) => a + b.numRows, 0);
  return makeRecordBatch(batches[0]!.schema, cols[0]!.map((_, j) => concatColumns(cols.map((c) => c[j]!))), n);
}

/** Rows [start, end) of a change batch, every per-row fact kept aligned. */
export function sliceChange(b: ChangeBatch, start: number, end: number): ChangeBatch {
  const w = b.wm;
  let wm: Float64Array | null = null;
  let wmConst = b.wmConst;
  if (w !== null) {
    // Watermarks only grow along a batch: equal ends, one watermark for every row.
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
