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

export class DistinctAccumulator implements Accumulator {
  private readonly sets: GroupMultisets;
  /** COUNT(DISTINCT) of a number: counted in typed arrays instead (the sets stay empty). */
  private readonly counts: DistinctCounts | null;
  /** AVG over a DECIMAL: 10^scale. */
  private readonly unit: number;

  constructor(
    readonly type: SqlType,
    private readonly fn: 'COUNT' | 'SUM' | 'AVG',
    argType: SqlType,
  ) {
    this.sets = new GroupMultisets(argType);
    const kind = physicalKindOf(argType);
    this.counts = fn === 'COUNT' && (kind === 'f64' || kind === 'i32') ? new DistinctCounts(argType) : null;
    this.unit = pow10(scaleOrZero(argType));
  }

  grow(): void {}

  update(gids: Int32Array, n: number, arg: Data | null, signs: Int8Array | null): void {
    if (arg === null || arg.typeId === 1) return;
    if (this.counts !== null) this.counts.update(gids, n, arg, signs);
    else this.sets.update(gids, n, arg, signs);
  }

  value(g: number): Value {
    if (this.counts !== null) return this.counts.size(g);
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

  merge(dst: number, src: number, from: Accumulator = this): void {
    const other = from as DistinctAccumulator;
    if (this.counts !== null) this.counts.merge(dst, src, other.counts!);
    else this.sets.merge(dst, src, other.sets);
  }

  reset(g: number): void {
    if (this.counts !== null) this.counts.reset(g);
    else this.sets.reset(g);
  }

  save(g: number): unknown {
    return this.counts !== null ? this.counts.save(g) : this.sets.save(g);
  }

  load(g: number, state: unknown): void {
    if (this.counts !== null) this.counts.load(g, state as [number, number][]);
    else this.sets.load(g, state as [number, number][]);
  }

  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    if (this.counts !== null) this.counts.saveColumns(ids, n, into, prefix);
    else this.sets.saveColumns(ids, n, into, prefix);
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    if (this.counts !== null) this.counts.loadColumns(ids, n, from, prefix);
    else this.sets.loadColumns(ids, n, from, prefix);
  }
}
