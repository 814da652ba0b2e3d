/**
 * Small column helpers shared by the kernels and operators: wrapping typed arrays into Arrow
 * Data of the layout in src/exec/batch.ts, reading validity, constant and sliced columns.
 * Every Data made here has offset 0 and no validity bitmap when it has no nulls.
 */
import { ArrowData, Bool, Float64, Int32, Null, Type, Utf8, type Data, type DataType } from '../arrow.js';
import type { SqlType, Value } from '../../types.js';
import { SluiceError } from '../../errors.js';

// Arrow types are immutable descriptors; sharing one instance per kind saves an allocation
// per produced column.
const F64 = new Float64();
const I32 = new Int32();
const BOOL = new Bool();
const UTF8 = new Utf8();
const NULL = new Null();

/** The physical kind of a column, as the kernels dispatch on it. */
export type PhysicalKind = 'f64' | 'i32' | 'bool' | 'utf8' | 'null';

/** The physical kind that holds a SQL type (see src/exec/batch.ts). */
export function physicalKindOf(t: SqlType): PhysicalKind {
  switch (t) {
    case 'INT':
      return 'i32';
    case 'BOOLEAN':
      return 'bool';
    case 'VARCHAR':
      return 'utf8';
    case 'NULL':
      return 'null';
    default:
      return 'f64';
  }
}

/** The physical kind of an Arrow column; throws INTERNAL for a layout sluice does not use. */
export function kindOfData(d: Data): PhysicalKind {
  switch (d.typeId) {
    case Type.Float:
      if (d.values instanceof Float64Array) return 'f64';
      break;
    case Type.Int:
      if (d.values instanceof Int32Array) return 'i32';
      break;
    case Type.Bool:
      return 'bool';
    case Type.Utf8:
      return 'utf8';
    case Type.Null:
      return 'null';
    default:
      break;
  }
  throw new SluiceError('INTERNAL', `unsupported column layout ${String(d.type)}`);
}

/** Row indices 0..n-1: the selection of every row. */
export function selectAll(n: number): Int32Array {
  const sel = new Int32Array(n);
  for (let i = 0; i < n; i++) sel[i] = i;
  return sel;
}

/** first, first + 1, … (n numbers): ids, offsets and sequence numbers of consecutive rows. */
export function ascending(first: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = first + i;
  return out;
}

/** The validity bitmap of a column (bit i set = row i not NULL), or null when no row is NULL. */
export function validityOf(d: Data): Uint8Array | null {
  if (d.typeId === Type.Null) return d.length === 0 ? null : new Uint8Array((d.length + 7) >> 3);
  if (d.nullCount === 0) return null;
  const bm = d.nullBitmap;
  return bm === undefined || bm.length === 0 ? null : bm;
}

/** Bit i of an LSB bitmap. */
export function getBit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >> 3]! >> (i & 7)) & 1) === 1;
}

/** Copies `len` bits from src (starting at bit `from`) into dst (starting at bit `to`); dst bits must be zero. */
export function copyBits(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  if ((from & 7) === 0 && (to & 7) === 0) {
    const whole = len >> 3;
    dst.set(src.subarray(from >> 3, (from >> 3) + whole), to >> 3);
    for (let k = whole << 3; k < len; k++) {
      const s = from + k;
      if ((src[s >> 3]! >> (s & 7)) & 1) dst[(to + k) >> 3]! |= 1 << ((to + k) & 7);
    }
    return;
  }
  for (let k = 0; k < len; k++) {
    const s = from + k;
    if ((src[s >> 3]! >> (s & 7)) & 1) dst[(to + k) >> 3]! |= 1 << ((to + k) & 7);
  }
}

/** Counts the zero bits among the first n of a validity bitmap (the NULLs). */
export function countNulls(validity: Uint8Array, n: number): number {
  let valid = 0;
  const whole = n >> 3;
  for (let b = 0; b < whole; b++) {
    let x = validity[b]!;
    x = x - ((x >> 1) & 0x55);
    x = (x & 0x33) + ((x >> 2) & 0x33);
    valid += (x + (x >> 4)) & 0x0f;
  }
  for (let i = whole << 3; i < n; i++) valid += (validity[i >> 3]! >> (i & 7)) & 1;
  return n - valid;
}

/** The validity of a column without nulls: empty, as Arrow's makeData leaves it (never written). */
const NO_BITS = new Uint8Array(0);

/**
 * A column from its buffers, as Arrow's makeData would build it from typed arrays of the
 * right kind, without its per-call visitor dispatch and buffer re-wrapping (most of the cost
 * of the small batches operators make).
 */
export function columnOf(type: DataType, length: number, nullCount: number, validity: Uint8Array | null, values: Uint8Array | Int32Array | Float64Array | undefined, offsets?: Int32Array, children?: Data[]): Data {
  const bits = nullCount === 0 || validity === null ? NO_BITS : validity;
  return new ArrowData(type, 0, length, nullCount, [offsets, values, bits] as never, children) as Data;
}

/** Wraps a Float64Array (BIGINT, DOUBLE, TIMESTAMP, DATE, INTERVAL) as a column. */
export function float64Column(values: Float64Array, validity: Uint8Array | null = null, nullCount = 0): Data {
  return columnOf(F64, values.length, nullCount, validity, values);
}

/** Wraps an Int32Array (INT) as a column. */
export function int32Column(values: Int32Array, validity: Uint8Array | null = null, nullCount = 0): Data {
  return columnOf(I32, values.length, nullCount, validity, values);
}

/** Wraps bit-packed booleans (n rows) as a BOOLEAN column. */
export function boolColumn(bits: Uint8Array, n: number, validity: Uint8Array | null = null, nullCount = 0): Data {
  return columnOf(BOOL, n, nullCount, validity, bits);
}

/** Wraps UTF-8 offsets (n + 1) and bytes as a VARCHAR column. */
export function utf8Column(offsets: Int32Array, bytes: Uint8Array, validity: Uint8Array | null = null, nullCount = 0): Data {
  return columnOf(UTF8, offsets.length - 1, nullCount, validity, bytes, offsets);
}

/** A column of n NULLs of the NULL type. */
export function nullColumn(n: number): Data {
  return new ArrowData(NULL, 0, n, n) as Data;
}

/** A column of n NULLs of a given SQL type (all-invalid bitmap, zeroed values). */
export function allNullColumn(type: SqlType, n: number): Data {
  const validity = new Uint8Array((n + 7) >> 3);
  switch (physicalKindOf(type)) {
    case 'f64':
      return float64Column(new Float64Array(n), validity, n);
    case 'i32':
      return int32Column(new Int32Array(n), validity, n);
    case 'bool':
      return boolColumn(new Uint8Array((n + 7) >> 3), n, validity, n);
    case 'utf8':
      return utf8Column(new Int32Array(n + 1), new Uint8Array(0), validity, n);
    case 'null':
      return nullColumn(n);
  }
}

const encoder = new TextEncoder();

/** A column repeating one value n times (constant-folded expressions, literal projections). */
export function constantColumn(type: SqlType, value: Value, n: number): Data {
  if (value === null || type === 'NULL') return allNullColumn(type, n);
  switch (physicalKindOf(type)) {
    case 'f64':
      return float64Column(new Float64Array(n).fill(value as number));
    case 'i32':
      return int32Column(new Int32Array(n).fill(value as number));
    case 'bool':
      return boolColumn(new Uint8Array((n + 7) >> 3).fill(value === true ? 0xff : 0), n);
    case 'utf8': {
      const one = encoder.encode(String(value));
      const bytes = new Uint8Array(one.length * n);
      const offsets = new Int32Array(n + 1);
      for (let i = 0; i < n; i++) {
        bytes.set(one, i * one.length);
        offsets[i + 1] = (i + 1) * one.length;
      }
      return utf8Column(offsets, bytes);
    }
    case 'null':
      return nullColumn(n);
  }
}

/**
 * Rows [start, start + length) of a column as a new column with offset 0 (copies; the
 * kernels assume offset 0, which Arrow's own `slice` does not give).
 */
export function sliceColumn(d: Data, start: number, length: number): Data {
  const kind = kindOfData(d);
  if (kind === 'null') return nullColumn(length);
  const base = d.offset + start;
  let validity: Uint8Array | null = null;
  let nulls = 0;
  const bm = d.nullCount > 0 ? d.nullBitmap : undefined;
  if (bm !== undefined && bm.length > 0) {
    validity = new Uint8Array((length + 7) >> 3);
    copyBits(bm, base, validity, 0, length);
    nulls = countNulls(validity, length);
  }
  // Arrow's slice keeps fixed-width values and offsets indexed from the slice, bits and
  // validity indexed from the original buffer (hence `start` vs `base`).
  const vstart = start;
  switch (kind) {
    case 'f64':
      return float64Column((d.values as Float64Array).slice(vstart, vstart + length), validity, nulls);
    case 'i32':
      return int32Column((d.values as Int32Array).slice(vstart, vstart + length), validity, nulls);
    case 'bool': {
      const bits = new Uint8Array((length + 7) >> 3);
      copyBits(d.values as Uint8Array, base, bits, 0, length);
      return boolColumn(bits, length, validity, nulls);
    }
    case 'utf8': {
      const off = d.valueOffsets as Int32Array;
      const b0 = off[vstart]!;
      const offsets = new Int32Array(length + 1);
      for (let i = 0; i <= length; i++) offsets[i] = off[vstart + i]! - b0;
      return utf8Column(offsets, (d.values as Uint8Array).slice(b0, off[vstart + length]!), validity, nulls);
    }
  }
}

/** The column itself when it has offset 0 (the layout every kernel assumes), else a copy that has. */
export function normalizeColumn(d: Data): Data {
  return d.offset === 0 ? d : sliceColumn(d, 0, d.length);
}
