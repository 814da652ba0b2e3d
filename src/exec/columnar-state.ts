/**
 * Operator state in columnar form: named typed arrays and Arrow columns, plus a little JSON,
 * that a checkpoint stores as one BLOB. A million groups then cost a few array copies to
 * write and read back, not a million JSON texts and the objects behind them.
 *
 * Layout of the bytes: "SLC1", the header's length (u32 LE), the header as JSON (meta, and
 * per array its name, element kind and length), zero padding to 8, then each array's bytes
 * padded to 8, so that decoding views them in place.
 */
import type { Data } from 'apache-arrow';
import type { SqlType } from '../types.js';
import { SluiceError } from '../errors.js';
import { boolColumn, countNulls, float64Column, int32Column, kindOfData, normalizeColumn, nullColumn, physicalKindOf, utf8Column } from './vector/columns.js';

export type StateArray = Float64Array | Int32Array | Uint8Array;
type ArrayKind = 'f64' | 'i32' | 'u8';

const MAGIC = [0x53, 0x4c, 0x43, 0x31];

function kindOf(a: StateArray): ArrayKind {
  return a instanceof Float64Array ? 'f64' : a instanceof Int32Array ? 'i32' : 'u8';
}

const pad8 = (n: number): number => (n + 7) & ~7;

export class ColumnarState {
  private readonly arrays = new Map<string, StateArray>();
  /** Row counts of the Arrow columns put, by name. */
  private readonly lengths = new Map<string, number>();

  /** `meta`: small JSON-serializable data kept beside the arrays. */
  constructor(readonly meta: unknown = null) {}

  put(name: string, a: StateArray): void {
    this.arrays.set(name, a);
  }

  has(name: string): boolean {
    return this.arrays.has(name) || this.lengths.has(name);
  }

  /** The array stored under `name`; a missing one is a damaged checkpoint. */
  get<K extends ArrayKind>(name: string, kind: K): K extends 'f64' ? Float64Array : K extends 'i32' ? Int32Array : Uint8Array {
    const a = this.arrays.get(name);
    if (a === undefined || kindOf(a) !== kind) throw new SluiceError('STATE', `checkpointed operator state lacks its '${name}' array`);
    return a as never;
  }

  /** Stores an Arrow column of sluice's layout (values, validity, offsets). */
  putColumn(name: string, d0: Data): void {
    const d = normalizeColumn(d0);
    this.lengths.set(name, d.length);
    const kind = kindOfData(d);
    if (kind === 'null') return;
    if (d.nullCount > 0 && d.nullBitmap) this.put(`${name}.m`, d.nullBitmap.subarray(0, (d.length + 7) >> 3));
    if (kind === 'utf8') {
      const off = d.valueOffsets as Int32Array;
      this.put(`${name}.o`, off.subarray(0, d.length + 1));
      this.put(`${name}.v`, (d.values as Uint8Array).subarray(0, off[d.length]!));
    } else if (kind === 'bool') this.put(`${name}.v`, (d.values as Uint8Array).subarray(0, (d.length + 7) >> 3));
    else this.put(`${name}.v`, (d.values as Float64Array | Int32Array).subarray(0, d.length));
  }

  /** The column stored under `name`, as a column of `type`. */
  column(name: string, type: SqlType): Data {
    const n = this.lengths.get(name);
    if (n === undefined) throw new SluiceError('STATE', `checkpointed operator state lacks its '${name}' column`);
    const kind = physicalKindOf(type);
    if (kind === 'null') return nullColumn(n);
    const validity = this.arrays.has(`${name}.m`) ? this.get(`${name}.m`, 'u8') : null;
    const nulls = validity === null ? 0 : countNulls(validity, n);
    switch (kind) {
      case 'f64':
        return float64Column(this.get(`${name}.v`, 'f64'), validity, nulls);
      case 'i32':
        return int32Column(this.get(`${name}.v`, 'i32'), validity, nulls);
      case 'bool':
        return boolColumn(this.get(`${name}.v`, 'u8'), n, validity, nulls);
      case 'utf8':
        return utf8Column(this.get(`${name}.o`, 'i32'), this.get(`${name}.v`, 'u8'), validity, nulls);
    }
  }

  encode(): Uint8Array {
    const entries = [...this.arrays].map(([name, a]) => [name, kindOf(a), a.length] as const);
    const header = new TextEncoder().encode(JSON.stringify({ meta: this.meta, arrays: entries, columns: [...this.lengths] }));
    let size = pad8(8 + header.length);
    for (const [, a] of this.arrays) size += pad8(a.byteLength);
    const out = new Uint8Array(size);
    out.set(MAGIC, 0);
    new DataView(out.buffer).setUint32(4, header.length, true);
    out.set(header, 8);
    let at = pad8(8 + header.length);
    for (const [, a] of this.arrays) {
      out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
      at += pad8(a.byteLength);
    }
    return out;
  }

  /** Reads back what {@link encode} wrote; the arrays view one copy of `bytes`. */
  static decode(bytes: Uint8Array): ColumnarState {
    if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new SluiceError('STATE', 'checkpointed operator state is not in a format this version reads');
    // One copy to an 8-aligned buffer, so the arrays can view it in place.
    // (Not bytes.slice(): on a Node Buffer that is a view into a shared pool.)
    const own = new Uint8Array(bytes.length);
    own.set(bytes);
    const headerLength = new DataView(own.buffer).getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(own.subarray(8, 8 + headerLength))) as {
      meta: unknown;
      arrays: [string, ArrayKind, number][];
      columns: [string, number][];
    };
    const s = new ColumnarState(header.meta);
    let at = pad8(8 + headerLength);
    for (const [name, kind, n] of header.arrays) {
      const a = kind === 'f64' ? new Float64Array(own.buffer, at, n) : kind === 'i32' ? new Int32Array(own.buffer, at, n) : new Uint8Array(own.buffer, at, n);
      if (at + a.byteLength > own.length) throw new SluiceError('STATE', 'checkpointed operator state is truncated');
      s.put(name, a);
      at += pad8(a.byteLength);
    }
    for (const [name, n] of header.columns) s.lengths.set(name, n);
    return s;
  }
}

/** Writes `values[i]` to `a[ids[i]]` for i in 0..n. */
export function scatterArray(a: Float64Array | Int32Array | Uint8Array, ids: Int32Array, n: number, values: ArrayLike<number>): void {
  for (let i = 0; i < n; i++) a[ids[i]!] = values[i]!;
}
