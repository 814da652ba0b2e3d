/**
 * SUM and AVG: a running sum and a count of non-NULL values per group. SUM of no values is
 * NULL; AVG is always DOUBLE. Over a DECIMAL the sum is of unscaled integers, exact while
 * it stays within 2^53 (checked on every row: past it, OVERFLOW rather than a rounded sum);
 * AVG divides by 10^scale once at the end.
 */
import type { Data } from 'apache-arrow';
import type { SqlType } from '../../types.js';
import type { ColumnBuilder } from '../batch.js';
import { isDecimal, MAX_UNSCALED, overflowError, pow10, scaleOrZero } from '../../decimal.js';
import { grown, type Accumulator } from './accumulator.js';
import { scatterArray, type ColumnarState } from '../columnar-state.js';
import { pick } from '../batch-ops.js';

export class SumAccumulator implements Accumulator {
  private sums = new Float64Array(16);
  private counts = new Float64Array(16);

  /** AVG: 10^scale of a DECIMAL argument (1 otherwise). */
  private readonly unit: number;
  private readonly exact: boolean;

  /** `argType`: the argument's type (a DECIMAL's scale and range checks). */
  constructor(
    readonly type: SqlType,
    private readonly average: boolean,
    private readonly argType: SqlType = type,
  ) {
    this.unit = pow10(scaleOrZero(argType));
    this.exact = isDecimal(argType);
  }

  grow(capacity: number): void {
    this.sums = grown(this.sums, capacity);
    this.counts = grown(this.counts, capacity);
  }

  update(gids: Int32Array, n: number, arg: Data | null, signs: Int8Array | null): void {
    if (arg === null || arg.typeId === 1) return;
    const v = arg.values as Float64Array | Int32Array;
    const bm = arg.nullCount > 0 ? arg.nullBitmap! : null;
    const sums = this.sums;
    const counts = this.counts;
    const exact = this.exact;
    if (bm === null && signs === null && !exact) {
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
      const x = (sums[g] += s * v[i]!);
      // DECIMAL: every partial sum stays exact, or the sum is an OVERFLOW.
      if (exact && (x > MAX_UNSCALED || x < -MAX_UNSCALED)) this.overflow();
      counts[g] += s;
    }
  }

  private overflow(): never {
    throw overflowError(`${this.average ? 'AVG' : 'SUM'} over ${this.argType}`, this.average ? this.argType : this.type);
  }

  value(g: number): number | null {
    const c = this.counts[g]!;
    if (c === 0) return null;
    return this.average ? this.sums[g]! / (c * this.unit) : this.sums[g]!;
  }

  emit(g: number, out: ColumnBuilder): void {
    const c = this.counts[g]!;
    if (c === 0) out.appendNull();
    else out.appendNumber(this.average ? this.sums[g]! / (c * this.unit) : this.sums[g]!);
  }

  merge(dst: number, src: number, from: Accumulator = this): void {
    const f = from as SumAccumulator;
    const x = (this.sums[dst] += f.sums[src]!);
    if (this.exact && (x > MAX_UNSCALED || x < -MAX_UNSCALED)) this.overflow();
    this.counts[dst] += f.counts[src]!;
  }

  reset(g: number): void {
    this.sums[g] = 0;
    this.counts[g] = 0;
  }

  save(g: number): unknown {
    return [this.sums[g], this.counts[g]];
  }

  load(g: number, state: unknown): void {
    const [s, c] = state as [number, number];
    this.sums[g] = s;
    this.counts[g] = c;
  }

  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    into.put(`${prefix}sum`, pick(this.sums, ids, n));
    into.put(`${prefix}count`, pick(this.counts, ids, n));
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    scatterArray(this.sums, ids, n, from.get(`${prefix}sum`, 'f64'));
    scatterArray(this.counts, ids, n, from.get(`${prefix}count`, 'f64'));
  }
}
