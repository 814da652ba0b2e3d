/**
 * A lean builder of one VARCHAR column for the kernels: copies UTF-8 byte ranges without
 * decoding and without the per-row `subarray` that a general builder pays, and encodes JS
 * strings with an ASCII fast path. Unlike ColumnBuilder it knows nothing of other types.
 */
import type { Data } from 'apache-arrow';
import { utf8Column } from './columns.js';

const encoder = new TextEncoder();

/** Builds one VARCHAR column from byte ranges and strings. */
export class Utf8Builder {
  length = 0;
  nullCount = 0;
  private offsets: Int32Array;
  private bytes: Uint8Array;
  private validity: Uint8Array;
  private used = 0;

  /** `rows` is a capacity hint (the builder grows), `bytes` the expected byte total. */
  constructor(rows: number, bytes = rows * 16) {
    const cap = Math.max(16, rows);
    this.offsets = new Int32Array(cap + 1);
    this.validity = new Uint8Array((cap + 7) >> 3);
    this.bytes = new Uint8Array(Math.max(64, bytes));
  }

  private growRows(): void {
    const cap = (this.offsets.length - 1) * 2;
    const off = new Int32Array(cap + 1);
    off.set(this.offsets);
    this.offsets = off;
    const v = new Uint8Array((cap + 7) >> 3);
    v.set(this.validity);
    this.validity = v;
  }

  private growBytes(need: number): void {
    const b = new Uint8Array(Math.max(need, this.bytes.length * 2));
    b.set(this.bytes.subarray(0, this.used));
    this.bytes = b;
  }

  appendNull(): void {
    const i = this.length;
    if (i + 1 >= this.offsets.length) this.growRows();
    this.nullCount++;
    this.length = i + 1;
    this.offsets[i + 1] = this.used;
  }

  /** Appends bytes [start, end) of `src`. */
  appendRef(src: Uint8Array, start: number, end: number): void {
    const i = this.length;
    if (i + 1 >= this.offsets.length) this.growRows();
    const n = end - start;
    let p = this.used;
    if (p + n > this.bytes.length) this.growBytes(p + n);
    const dst = this.bytes;
    if (n <= 32) {
      for (let k = start; k < end; k++) dst[p++] = src[k]!;
    } else {
      dst.set(src.subarray(start, end), p);
      p += n;
    }
    this.used = p;
    this.validity[i >> 3]! |= 1 << (i & 7);
    this.length = i + 1;
    this.offsets[i + 1] = p;
  }

  /** Appends a JS string (UTF-8 encoded). */
  appendStr(s: string): void {
    const i = this.length;
    if (i + 1 >= this.offsets.length) this.growRows();
    let p = this.used;
    // Worst case 3 bytes per UTF-16 unit.
    if (p + s.length * 3 > this.bytes.length) this.growBytes(p + s.length * 3);
    const dst = this.bytes;
    let k = 0;
    for (; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c > 127) break;
      dst[p++] = c;
    }
    if (k < s.length) p += encoder.encodeInto(s.slice(k), dst.subarray(p)).written;
    this.used = p;
    this.validity[i >> 3]! |= 1 << (i & 7);
    this.length = i + 1;
    this.offsets[i + 1] = p;
  }

  /** Finishes the column (the builder must not be used afterwards). */
  finish(): Data {
    const n = this.length;
    const offsets = this.offsets.length === n + 1 ? this.offsets : this.offsets.slice(0, n + 1);
    const bytes = this.bytes.slice(0, this.used);
    const validity = this.nullCount === 0 ? null : this.validity.slice(0, (n + 7) >> 3);
    return utf8Column(offsets, bytes, validity, this.nullCount);
  }
}
