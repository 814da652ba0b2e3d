/**
 * SUM and AVG: a running sum and a count of non-NULL values per group. SUM of no values is
 * NULL; AVG is always DOUBLE. Over a DECIMAL the sum is of unscaled integers, exact while
 * it stays within 2^53 (checked on every row: past it, OVERFLOW rather than a rounded sum);
 * AVG divides by 10^scale once at the end. Over a changelog, ±Infinity and NaN are counted
 * apart from the finite sum: retracting an Infinity from a sum that holds it would give NaN
 * (Inf - Inf), where the sum without it is finite again.
 */
import type { Data } from 'apache-arrow';
import type { SqlType } from '../../types.js';
import type { ColumnBuilder } from '../batch.js';
import { isDecimal, MAX_UNSCALED, overflowError, pow10, scaleOrZero } from '../../decimal.js';
import { grown, type Accumulator } from './accumulator.js';
import { scatterArray, type ColumnarState } from '../columnar-state.js';
import { pick } from '../batch-ops.js';

/** A non-finite number's counter: 0 for +Infinity, 1 for -Infinity, 2 for NaN. */
export function nonFiniteKind(y: number): number {
  return y !== y ? 2 : y > 0 ? 0 : 1;
}

/** A sum of finite part `finite` and so many +Infinity, -Infinity and NaN values, as IEEE adds them. */
export function sumWithNonFinite(finite: number, pos: number, neg: number, nans: number): number {
  if (nans > 0 || (pos > 0 && neg > 0)) return NaN;
  return pos > 0 ? Infinity : neg > 0 ? -Infinity : finite;
}

export class SumAccumulator implements Accumulator {
  private sums = new Float64Array(16);
  private counts = new Float64Array(16);
  /** Over a changelog, per group: how many +Infinity, -Infinity and NaN values it holds (3 per group; made at the first). */
  private odd: Float64Array | null = null;

  /** AVG: 10^scale of a DECIMAL argument (1 otherwise). */
  private readonly unit: number;
  private readonly exact: boolean;

  /** `argType`: the argument's type (a DECIMAL's scale and range checks). */
  constructor(
    readonly type: SqlType,
    private readonly average: boolean,
    private readonly argType: SqlType = type,
    /** Whether rows can be retracted (then non-finite values are counted apart). */
    private readonly retractions = false,
  ) {
    this.unit = pow10(scaleOrZero(argType));
    this.exact = isDecimal(argType);
  }

  grow(capacity: number): void {
    this.sums = grown(this.sums, capacity);
    this.counts = grown(this.counts, capacity);
    if (this.odd !== null) this.odd = grown(this.odd, 3 * capacity);
  }

  update(gids: Int32Array, n: number, arg: Data | null, signs: Int8Array | null): void {
    if (arg === null || arg.typeId === 1) return;
    const v = arg.values as Float64Array | Int32Array;
    const bm = arg.nullCount > 0 ? arg.nullBitmap! : null;
    const sums = this.sums;
    const counts = this.counts;
    const exact = this.exact;
    const apart = this.retractions;
    if (bm === null && signs === null && !exact && !apart) {
      for (let i = 0; i < n; i++) {
        const g = gids[i]!;
        if (g < 0) continue;
        sums[g] += v[i]!;
        counts[g]++;
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0) continue;
      if (bm !== null && ((bm[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const s = signs === null ? 1 : signs[i]!;
      const y = v[i]!;
      if (apart && y - y !== 0) {
        this.addOdd(g, nonFiniteKind(y), s);
        counts[g] += s;
        continue;
      }
      const x = (sums[g] += s * y);
      // DECIMAL: every partial sum stays exact, or the sum is an OVERFLOW.
      if (exact && (x > MAX_UNSCALED || x < -MAX_UNSCALED)) this.overflow();
      counts[g] += s;
    }
  }

  /** Group g's sum: its finite part, or what its non-finite values make of it. */
  private sumOf(g: number): number {
    const o = this.odd;
    return o === null ? this.sums[g]! : sumWithNonFinite(this.sums[g]!, o[3 * g]!, o[3 * g + 1]!, o[3 * g + 2]!);
  }

  private overflow(): never {
    throw overflowError(`${this.average ? 'AVG' : 'SUM'} over ${this.argType}`, this.average ? this.argType : this.type);
  }

  value(g: number): number | null {
    const c = this.counts[g]!;
    if (c === 0) return null;
    return this.average ? this.sumOf(g) / (c * this.unit) : this.sumOf(g);
  }

  emit(g: number, out: ColumnBuilder): void {
    const c = this.counts[g]!;
    if (c === 0) out.appendNull();
    else out.appendNumber(this.average ? this.sumOf(g) / (c * this.unit) : this.sumOf(g));
  }

  numbers(ids: Int32Array, from: number, to: number, nums: Float64Array, valid: Uint8Array): void {
    for (let k = from; k < to; k++) {
      const v = this.value(ids[k]!);
      valid[k] = v === null ? 0 : 1;
      nums[k] = v ?? 0;
    }
  }

  merge(dst: number, src: number, from: Accumulator = this): void {
    const f = from as SumAccumulator;
    const x = (this.sums[dst] += f.sums[src]!);
    if (this.exact && (x > MAX_UNSCALED || x < -MAX_UNSCALED)) this.overflow();
    this.counts[dst] += f.counts[src]!;
    if (f.odd !== null) for (let k = 0; k < 3; k++) if (f.odd[3 * src + k]! !== 0) this.addOdd(dst, k, f.odd[3 * src + k]!);
  }

  /** Adds n values of non-finite kind k (see nonFiniteKind) to group g (n < 0: takes them out). */
  private addOdd(g: number, k: number, n: number): void {
    this.odd ??= new Float64Array(3 * Math.max(this.sums.length, 16));
    this.odd[3 * g + k] += n;
  }

  reset(g: number): void {
    this.sums[g] = 0;
    this.counts[g] = 0;
    if (this.odd !== null) this.odd.fill(0, 3 * g, 3 * g + 3);
  }

  // The non-finite counts go after sum and count, only when a group has any (older
  // checkpoints, and groups without them, read as none).
  save(g: number): unknown {
    const o = this.odd;
    if (o === null || (o[3 * g] === 0 && o[3 * g + 1] === 0 && o[3 * g + 2] === 0)) return [this.sums[g], this.counts[g]];
    return [this.sums[g], this.counts[g], o[3 * g], o[3 * g + 1], o[3 * g + 2]];
  }

  load(g: number, state: unknown): void {
    const [s, c, pos, neg, nan] = state as [number, number, number?, number?, number?];
    this.sums[g] = s;
    this.counts[g] = c;
    if (this.odd !== null) this.odd.fill(0, 3 * g, 3 * g + 3);
    if (pos !== undefined) [pos, neg!, nan!].forEach((n, k) => n !== 0 && this.addOdd(g, k, n));
  }

  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    into.put(`${prefix}sum`, pick(this.sums, ids, n));
    into.put(`${prefix}count`, pick(this.counts, ids, n));
    const o = this.odd;
    if (o === null) return;
    for (let k = 0; k < 3; k++) {
      const c = new Float64Array(n);
      for (let i = 0; i < n; i++) c[i] = o[3 * ids[i]! + k]!;
      into.put(`${prefix}odd${k}`, c);
    }
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    scatterArray(this.sums, ids, n, from.get(`${prefix}sum`, 'f64'));
    scatterArray(this.counts, ids, n, from.get(`${prefix}count`, 'f64'));
    if (!from.has(`${prefix}odd0`)) return;
    for (let k = 0; k < 3; k++) {
      const c = from.get(`${prefix}odd${k}`, 'f64');
      for (let i = 0; i < n; i++) if (c[i]! !== 0) this.addOdd(ids[i]!, k, c[i]!);
    }
  }
}
