/**
 * Concatenation of columns of one type, used to coalesce small batches into bigger ones
 * (buffers, sinks, pull results).
 */
import type { Data } from 'apache-arrow';
import { SluiceError } from '../../errors.js';
import {
  boolColumn,
  copyBits,
  float64Column,
  int32Column,
  kindOfData,
  normalizeColumn,
  nullColumn,
  utf8Column,
} from './columns.js';

/** The rows of every part, one after the other, as one column (all parts of one physical type). */
export function concatColumns(parts0: readonly Data[]): Data {
  if (parts0.length === 0) throw new SluiceError('INTERNAL', 'concatColumns of no columns');
  if (parts0.length === 1) return normalizeColumn(parts0[0]!);
  const parts = parts0.map(normalizeColumn);
  const kind = kindOfData(parts[0]!);
  for (const p of parts) {
    if (kindOfData(p) !== kind) throw new SluiceError('INTERNAL', `concatColumns of ${kind} and ${kindOfData(p)} columns`);
  }
  let n = 0;
  let nulls = 0;
  for (const p of parts) {
    n += p.length;
    nulls += p.nullCount;
  }
  if (kind === 'null') return nullColumn(n);
  let validity: Uint8Array | null = null;
  if (nulls > 0) {
    validity = new Uint8Array((n + 7) >> 3);
    let at = 0;
    for (const p of parts) {
      const bm = p.nullBitmap;
      if (p.nullCount > 0 && bm !== undefined && bm.length > 0) copyBits(bm, 0, validity, at, p.length);
      else setBits(validity, at, p.length);
      at += p.length;
    }
  }
  switch (kind) {
    case 'f64': {
      const out = new Float64Array(n);
      let at = 0;
      for (const p of parts) {
        out.set((p.values as Float64Array).subarray(0, p.length), at);
        at += p.length;
      }
      return float64Column(out, validity, nulls);
    }
    case 'i32': {
      const out = new Int32Array(n);
      let at = 0;
      for (const p of parts) {
        out.set((p.values as Int32Array).subarray(0, p.length), at);
        at += p.length;
      }
      return int32Column(out, validity, nulls);
    }
    case 'bool': {
      const out = new Uint8Array((n + 7) >> 3);
      let at = 0;
      for (const p of parts) {
        copyBits(p.values as Uint8Array, 0, out, at, p.length);
        at += p.length;
      }
      return boolColumn(out, n, validity, nulls);
    }
    case 'utf8': {
      let bytes = 0;
      for (const p of parts) {
        const off = p.valueOffsets as Int32Array;
        bytes += off[p.length]! - off[0]!;
      }
      const offsets = new Int32Array(n + 1);
      const data = new Uint8Array(bytes);
      let at = 0;
      let pos = 0;
      for (const p of parts) {
        const off = p.valueOffsets as Int32Array;
        const b0 = off[0]!;
        const b1 = off[p.length]!;
        data.set((p.values as Uint8Array).subarray(b0, b1), pos);
        for (let i = 1; i <= p.length; i++) offsets[at + i] = off[i]! - b0 + pos;
        at += p.length;
        pos += b1 - b0;
      }
      return utf8Column(offsets, data, validity, nulls);
    }
  }
}

function setBits(bits: Uint8Array, from: number, len: number): void {
  for (let k = from; k < from + len; k++) bits[k >> 3]! |= 1 << (k & 7);
}
