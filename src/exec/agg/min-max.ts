/**
 * MIN and MAX over an append-only input: the extreme so far per group. (Over a changelog,
 * {@link MultisetMinMaxAccumulator} keeps every value so retractions stay exact.)
 */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import { ColumnBuilder, decodeUtf8, readValue } from '../batch.js';
import { eqBytes } from '../vector/bytes.js';
import { grown, type Accumulator } from './accumulator.js';
import { scatterArray, type ColumnarState } from '../columnar-state.js';
import { pick } from '../batch-ops.js';
import { beats } from '../../sql-order.js';

export class MinMaxAccumulator implements Accumulator {
  private nums = new Float64Array(16);
  private has = new Uint8Array(16);
  private strs: (string | undefined)[] = [];
  private readonly numeric: boolean;

  constructor(
    readonly type: SqlType,
    private readonly max: boolean,
  ) {
    this.numeric = type !== 'VARCHAR' && type !== 'BOOLEAN';
  }

  grow(capacity: number): void {
    this.nums = grown(this.nums, capacity);
    this.has = grown(this.has, capacity);
  }

  update(gids: Int32Array, n: number, arg: Data | null, signs: Int8Array | null): void {
    if (arg === null || arg.typeId === 1) return;
    if (signs !== null) throw new Error('MinMaxAccumulator takes no retractions');
    const bm = arg.nullCount > 0 ? arg.nullBitmap! : null;
    if (this.numeric) {
      const v = arg.values as Float64Array | Int32Array;
      const nums = this.nums;
      const has = this.has;
      const max = this.max;
      for (let i = 0; i < n; i++) {
        const g = gids[i]!;
        if (g < 0) continue;
        if (bm !== null && ((bm[i >> 3]! >> (i & 7)) & 1) === 0) continue;
        const x = v[i]!;
        const c = nums[g]!;
        // NaN is the greatest number (see sql-order.ts), written out here for the hot loop.
        if (has[g] === 0 || (max ? x > c || (x !== x && c === c) : x < c || (c !== c && x === x))) {
          nums[g] = x;
          has[g] = 1;
        }
      }
      return;
    }
    if (this.type === 'VARCHAR') return this.updateText(gids, n, arg, bm);
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0) continue;
      const x = readValue(arg, i, this.type);
      if (x === null) continue;
      if (this.type === 'BOOLEAN') {
        const b = x ? 1 : 0;
        if (this.has[g] === 0 || (this.max ? b > this.nums[g]! : b < this.nums[g]!)) this.nums[g] = b;
        this.has[g] = 1;
      } else {
        const cur = this.strs[g];
        if (cur === undefined || beats(x, cur, this.max)) this.strs[g] = x as string;
        this.has[g] = 1;
      }
    }
  }

  /**
   * Strings, compared as JS strings: a row whose bytes repeat the last decoded row's reuses
   * that string (text derived from event times repeats for long runs of rows).
   */
  private updateText(gids: Int32Array, n: number, arg: Data, bm: Uint8Array | null): void {
    const off = arg.valueOffsets as Int32Array;
    const bytes = arg.values as Uint8Array;
    const strs = this.strs;
    const max = this.max;
    let last: string | null = null;
    let lastStart = 0;
    let lastLen = 0;
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0) continue;
      if (bm !== null && ((bm[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const s = off[i]!;
      const len = off[i + 1]! - s;
      if (last === null || len !== lastLen || !eqBytes(bytes, s, bytes, lastStart, len)) {
        last = decodeUtf8(bytes, s, s + len);
        lastStart = s;
        lastLen = len;
      }
      const cur = strs[g];
      if (cur === undefined || beats(last, cur, max)) strs[g] = last;
      this.has[g] = 1;
    }
  }

  value(g: number): Value {
    if (this.has[g] === 0) return null;
    if (this.type === 'VARCHAR') return this.strs[g]!;
    if (this.type === 'BOOLEAN') return this.nums[g] === 1;
    return this.nums[g]!;
  }

  numbers(ids: Int32Array, from: number, to: number, nums: Float64Array, valid: Uint8Array): void {
    for (let k = from; k < to; k++) {
      const g = ids[k]!;
      valid[k] = this.has[g]!;
      nums[k] = this.has[g] === 1 ? this.nums[g]! : 0;
    }
  }

  emit(g: number, out: ColumnBuilder): void {
    if (this.numeric && this.has[g] === 1) out.appendNumber(this.nums[g]!);
    else out.append(this.value(g));
  }

  merge(dst: number, src: number, from: Accumulator = this): void {
    const v = from.value(src);
    if (v === null) return;
    const cur = this.value(dst);
    if (cur === null || beats(v, cur, this.max)) this.load(dst, v);
  }

  reset(g: number): void {
    this.has[g] = 0;
    this.strs[g] = undefined;
  }

  save(g: number): unknown {
    return this.value(g);
  }

  load(g: number, state: unknown): void {
    const v = state as Value;
    if (v === null) return this.reset(g);
    this.has[g] = 1;
    if (this.type === 'VARCHAR') this.strs[g] = v as string;
    else this.nums[g] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
  }

  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    into.put(`${prefix}has`, pick(this.has, ids, n));
    if (this.type !== 'VARCHAR') {
      into.put(`${prefix}num`, pick(this.nums, ids, n));
      return;
    }
    const b = new ColumnBuilder('VARCHAR', n);
    for (let i = 0; i < n; i++) b.append(this.strs[ids[i]!] ?? null);
    into.putColumn(`${prefix}str`, b.finish());
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    scatterArray(this.has, ids, n, from.get(`${prefix}has`, 'u8'));
    if (this.type !== 'VARCHAR') {
      scatterArray(this.nums, ids, n, from.get(`${prefix}num`, 'f64'));
      return;
    }
    const strs = from.column(`${prefix}str`, 'VARCHAR');
    for (let i = 0; i < n; i++) this.strs[ids[i]!] = (readValue(strs, i, 'VARCHAR') as string | null) ?? undefined;
  }
}
