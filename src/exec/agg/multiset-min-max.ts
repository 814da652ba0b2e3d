/** MIN and MAX over a changelog: a multiset per group, so retracting the extreme is exact. */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import type { ColumnBuilder } from '../batch.js';
import type { Accumulator } from './accumulator.js';
import { GroupMultisets } from './multiset.js';
import { beats } from '../../sql-order.js';
import type { ColumnarState } from '../columnar-state.js';

export class MultisetMinMaxAccumulator implements Accumulator {
  private readonly sets: GroupMultisets;
  /** Cached extreme per group; undefined = recompute. */
  private cache: (Value | undefined)[] = [];

  constructor(
    readonly type: SqlType,
    private readonly max: boolean,
  ) {
    this.sets = new GroupMultisets(type);
  }

  grow(): void {}

  update(gids: Int32Array, n: number, arg: Data | null, signs: Int8Array | null): void {
    if (arg === null || arg.typeId === 1) return;
    this.sets.update(gids, n, arg, signs, (g) => (this.cache[g] = undefined));
  }

  value(g: number): Value {
    const c = this.cache[g];
    if (c !== undefined) return c;
    let best: Value = null;
    for (const v of this.sets.get(g)?.keys() ?? []) {
      if (best === null || beats(v, best, this.max)) best = v;
    }
    this.cache[g] = best;
    return best;
  }

  emit(g: number, out: ColumnBuilder): void {
    out.append(this.value(g));
  }

  merge(dst: number, src: number, from: Accumulator = this): void {
    this.sets.merge(dst, src, (from as MultisetMinMaxAccumulator).sets);
    this.cache[dst] = undefined;
  }

  reset(g: number): void {
    this.sets.reset(g);
    this.cache[g] = undefined;
  }

  save(g: number): unknown {
    return this.sets.save(g);
  }

  load(g: number, state: unknown): void {
    this.sets.load(g, state as [number, number][]);
    this.cache[g] = undefined;
  }

  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    this.sets.saveColumns(ids, n, into, prefix);
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    this.sets.loadColumns(ids, n, from, prefix);
    for (let i = 0; i < n; i++) this.cache[ids[i]!] = undefined;
  }
}
