/** COUNT/SUM/AVG(DISTINCT x): the distinct values of each group, with multiplicities for retractions. */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import type { ColumnBuilder } from '../batch.js';
import type { Accumulator } from './accumulator.js';
import { GroupMultisets } from './multiset.js';
import { checkDecimal, isDecimal, pow10, scaleOrZero } from '../../decimal.js';
import type { ColumnarState } from '../columnar-state.js';

export class DistinctAccumulator implements Accumulator {
  private readonly sets: GroupMultisets;
  /** AVG over a DECIMAL: 10^scale. */
  private readonly unit: number;

  constructor(
    readonly type: SqlType,
    private readonly fn: 'COUNT' | 'SUM' | 'AVG',
    argType: SqlType,
  ) {
    this.sets = new GroupMultisets(argType);
    this.unit = pow10(scaleOrZero(argType));
  }

  grow(): void {}

  update(gids: Int32Array, n: number, arg: Data | null, signs: Int8Array | null): void {
    if (arg === null || arg.typeId === 1) return;
    this.sets.update(gids, n, arg, signs);
  }

  value(g: number): Value {
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
    this.sets.merge(dst, src, (from as DistinctAccumulator).sets);
  }

  reset(g: number): void {
    this.sets.reset(g);
  }

  save(g: number): unknown {
    return this.sets.save(g);
  }

  load(g: number, state: unknown): void {
    this.sets.load(g, state as [number, number][]);
  }

  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    this.sets.saveColumns(ids, n, into, prefix);
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    this.sets.loadColumns(ids, n, from, prefix);
  }
}
