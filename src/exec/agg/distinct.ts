/** COUNT/SUM/AVG(DISTINCT x): the distinct values of each group, with multiplicities for retractions. */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import type { ColumnBuilder } from '../batch.js';
import type { Accumulator } from './accumulator.js';
import { GroupMultisets } from './multiset.js';
import { DistinctCounts } from './distinct-counts.js';
import { physicalKindOf } from '../vector/columns.js';
import { checkDecimal, isDecimal, pow10, scaleOrZero } from '../../decimal.js';
import type { ColumnarState } from '../columnar-state.js';

/** Whether a DISTINCT call is counted in typed arrays (DistinctCounts): COUNT of a number. */
export function countsInArrays(fn: 'COUNT' | 'SUM' | 'AVG', argType: SqlType): boolean {
  const kind = physicalKindOf(argType);
  return fn === 'COUNT' && (kind === 'f64' || kind === 'i32');
}

export class DistinctAccumulator implements Accumulator {
  private readonly sets: GroupMultisets;
  /**
   * COUNT(DISTINCT) of a number: counted in typed arrays instead (the sets stay empty), in
   * lane `lane` of a table that may be shared with other calls (see shared-distinct.ts).
   */
  readonly counts: DistinctCounts | null;
  readonly lane: number;
  /** AVG over a DECIMAL: 10^scale. */
  private readonly unit: number;

  constructor(
    readonly type: SqlType,
    private readonly fn: 'COUNT' | 'SUM' | 'AVG',
    argType: SqlType,
    shared?: { readonly counts: DistinctCounts; readonly lane: number },
  ) {
    this.sets = new GroupMultisets(argType);
    this.counts = shared?.counts ?? (countsInArrays(fn, argType) ? new DistinctCounts(argType) : null);
    this.lane = shared?.lane ?? 0;
    this.unit = pow10(scaleOrZero(argType));
  }

  grow(): void {}

  update(gids: Int32Array, n: number, arg: Data | null, signs: Int8Array | null): void {
    if (arg === null || arg.typeId === 1) return;
    if (this.counts !== null) this.counts.update(gids, n, arg, signs, this.lane);
    else this.sets.update(gids, n, arg, signs);
  }

  value(g: number): Value {
    if (this.counts !== null) return this.counts.size(g, this.lane);
    const set = this.sets.get(g);
    const size = set?.size ?? 0;
    if (this.fn === 'COUNT') return size;
    if (size === 0) return null;
    let sum = 0;
    for (const v of set!.keys()) sum += v as number;
    if (this.fn === 'SUM') return isDecimal(this.type) ? checkDecimal(sum, this.type, `SUM(DISTINCT …) as ${this.type}`) : sum;
    return sum / (size * this.unit);
  }

  emit(g: number, out: ColumnBuilder): void {
    out.append(this.value(g));
  }

  numbers(ids: Int32Array, from: number, to: number, nums: Float64Array, valid: Uint8Array): void {
    for (let k = from; k < to; k++) {
      const v = this.value(ids[k]!);
      valid[k] = v === null ? 0 : 1;
      nums[k] = v === null ? 0 : (v as number);
    }
  }

  merge(dst: number, src: number, from: Accumulator = this): void {
    const other = from as DistinctAccumulator;
    if (this.counts !== null) this.counts.merge(dst, src, other.counts!, this.lane, other.lane);
    else this.sets.merge(dst, src, other.sets);
  }

  reset(g: number): void {
    if (this.counts !== null) this.counts.reset(g, this.lane);
    else this.sets.reset(g);
  }

  save(g: number): unknown {
    return this.counts !== null ? this.counts.save(g, this.lane) : this.sets.save(g);
  }

  load(g: number, state: unknown): void {
    if (this.counts !== null) this.counts.load(g, state as [number, number][], this.lane);
    else this.sets.load(g, state as [number, number][]);
  }

  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    if (this.counts !== null) this.counts.saveColumns(ids, n, into, prefix, this.lane);
    else this.sets.saveColumns(ids, n, into, prefix);
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    if (this.counts !== null) this.counts.loadColumns(ids, n, from, prefix, this.lane);
    else this.sets.loadColumns(ids, n, from, prefix);
  }
}
