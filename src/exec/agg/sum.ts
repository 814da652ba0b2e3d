/**
 * SUM and AVG: a running sum and a count of non-NULL values per group. SUM of no values is
 * NULL; AVG is always DOUBLE.
 */
import type { Data } from 'apache-arrow';
import type { SqlType } from '../../types.js';
import type { ColumnBuilder } from '../batch.js';
import { grown, type Accumulator } from './accumulator.js';

export class SumAccumulator implements Accumulator {
  private sums = new Float64Array(16);
  private counts = new Float64Array(16);

  constructor(
    readonly type: SqlType,
    private readonly average: boolean,
  ) {}

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
    if (bm === null && signs === null) {
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
      sums[g] += s * v[i]!;
      counts[g] += s;
    }
  }

  value(g: number): number | null {
    const c = this.counts[g]!;
    if (c === 0) return null;
    return this.average ? this.sums[g]! / c : this.sums[g]!;
  }

  emit(g: number, out: ColumnBuilder): void {
    const c = this.counts[g]!;
    if (c === 0) out.appendNull();
    else out.appendNumber(this.average ? this.sums[g]! / c : this.sums[g]!);
  }

  merge(dst: number, src: number, from: Accumulator = this): void {
    const f = from as SumAccumulator;
    this.sums[dst] += f.sums[src]!;
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
}
