/** COUNT(*) and COUNT(x): a number per group; COUNT(x) skips NULLs. */
import type { Data } from 'apache-arrow';
import type { ColumnBuilder } from '../batch.js';
import { grown, type Accumulator } from './accumulator.js';
import { scatterArray, type ColumnarState } from '../columnar-state.js';
import { pick } from '../batch-ops.js';

export class CountAccumulator implements Accumulator {
  readonly type = 'BIGINT' as const;
  private counts = new Float64Array(16);

  grow(capacity: number): void {
    this.counts = grown(this.counts, capacity);
  }

  update(gids: Int32Array, n: number, arg: Data | null, signs: Int8Array | null): void {
    const c = this.counts;
    const bm = arg !== null && arg.nullCount > 0 ? arg.nullBitmap! : null;
    const allNull = arg !== null && arg.typeId === 1;
    if (allNull) return;
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0) continue;
      if (bm !== null && ((bm[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      c[g] += signs === null ? 1 : signs[i]!;
    }
  }

  value(g: number): number {
    return this.counts[g]!;
  }

  emit(g: number, out: ColumnBuilder): void {
    out.appendNumber(this.counts[g]!);
  }

  numbers(ids: Int32Array, from: number, to: number, nums: Float64Array, valid: Uint8Array): void {
    const c = this.counts;
    for (let k = from; k < to; k++) {
      nums[k] = c[ids[k]!]!;
      valid[k] = 1;
    }
  }

  merge(dst: number, src: number, from: Accumulator = this): void {
    this.counts[dst] += (from as CountAccumulator).counts[src]!;
  }

  reset(g: number): void {
    this.counts[g] = 0;
  }

  save(g: number): unknown {
    return this.counts[g];
  }

  load(g: number, state: unknown): void {
    this.counts[g] = state as number;
  }

  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    into.put(`${prefix}count`, pick(this.counts, ids, n));
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    scatterArray(this.counts, ids, n, from.get(`${prefix}count`, 'f64'));
  }
}
