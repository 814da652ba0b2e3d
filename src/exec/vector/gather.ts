/**
 * Gather: the rows of a selection vector, copied out of columns into new columns. This is
 * how a filter materializes its output and how operators reorder or pick rows; one tight
 * loop per physical type, strings copied as bytes.
 */
import type { Data } from 'apache-arrow';
import { boolColumn, float64Column, int32Column, kindOfData, normalizeColumn, nullColumn, utf8Column } from './columns.js';

/** The rows `sel[0..count)` of every column, in that order (validity preserved). */
export function gather(columns: readonly Data[], sel: Int32Array, count: number): Data[] {
  const out = new Array<Data>(columns.length);
  for (let j = 0; j < columns.length; j++) out[j] = gatherOne(columns[j]!, sel, count);
  return out;
}

/** The rows `sel[0..count)` of one column. */
export function gatherOne(d0: Data, sel: Int32Array, count: number): Data {
  const d = normalizeColumn(d0);
  const kind = kindOfData(d);
  if (kind === 'null') return nullColumn(count);
  let validity: Uint8Array | null = null;
  let nulls = 0;
  if (d.nullCount > 0 && d.nullBitmap !== undefined && d.nullBitmap.length > 0) {
    const bm = d.nullBitmap;
    validity = new Uint8Array((count + 7) >> 3);
    for (let i = 0; i < count; i++) {
      const j = sel[i]!;
      if ((bm[j >> 3]! >> (j & 7)) & 1) validity[i >> 3]! |= 1 << (i & 7);
      else nulls++;
    }
    if (nulls === 0) validity = null;
  }
  switch (kind) {
    case 'f64': {
      const src = d.values as Float64Array;
      const dst = new Float64Array(count);
      for (let i = 0; i < count; i++) dst[i] = src[sel[i]!]!;
      return float64Column(dst, validity, nulls);
    }
    case 'i32': {
      const src = d.values as Int32Array;
      const dst = new Int32Array(count);
      for (let i = 0; i < count; i++) dst[i] = src[sel[i]!]!;
      return int32Column(dst, validity, nulls);
    }
    case 'bool': {
      const src = d.values as Uint8Array;
      const dst = new Uint8Array((count + 7) >> 3);
      for (let i = 0; i < count; i++) {
        const j = sel[i]!;
        if ((src[j >> 3]! >> (j & 7)) & 1) dst[i >> 3]! |= 1 << (i & 7);
      }
      return boolColumn(dst, count, validity, nulls);
    }
    case 'utf8':
      return gatherUtf8(d, sel, count, validity, nulls);
  }
}

function gatherUtf8(d: Data, sel: Int32Array, count: number, validity: Uint8Array | null, nulls: number): Data {
  const off = d.valueOffsets as Int32Array;
  const src = d.values as Uint8Array;
  const offsets = new Int32Array(count + 1);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const j = sel[i]!;
    total += off[j + 1]! - off[j]!;
    offsets[i + 1] = total;
  }
  const dst = new Uint8Array(total);
  let p = 0;
  // A run of consecutive rows has its bytes side by side: one copy (a dense selection, such
  // as a view's surviving rows, is mostly runs).
  for (let i = 0; i < count; ) {
    let e = i + 1;
    while (e < count && sel[e] === sel[e - 1]! + 1) e++;
    const s = off[sel[i]!]!;
    const t = off[sel[e - 1]! + 1]!;
    if (t - s <= 32) {
      for (let k = s; k < t; k++) dst[p++] = src[k]!;
    } else {
      dst.set(src.subarray(s, t), p);
      p += t - s;
    }
    i = e;
  }
  return utf8Column(offsets, dst, validity, nulls);
}
