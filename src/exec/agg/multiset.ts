/**
 * Per-group multisets of values (value → how many times), for aggregates that must take
 * retractions exactly: MIN/MAX over a changelog and the DISTINCT aggregates.
 */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import { ColumnBuilder, readValue } from '../batch.js';
import type { ColumnarState } from '../columnar-state.js';

type Key = number | string | boolean;

export class GroupMultisets {
  private sets: (Map<Key, number> | undefined)[] = [];

  constructor(private readonly argType: SqlType) {}

  /** Adds rows with their signs; calls `changed(g)` for every group whose set changed. */
  update(gids: Int32Array, n: number, arg: Data, signs: Int8Array | null, changed?: (g: number) => void): void {
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0) continue;
      const v = readValue(arg, i, this.argType);
      if (v === null) continue;
      const s = signs === null ? 1 : signs[i]!;
      let m = this.sets[g];
      if (m === undefined) m = this.sets[g] = new Map();
      const c = (m.get(v) ?? 0) + s;
      if (c === 0) m.delete(v);
      else m.set(v, c);
      changed?.(g);
    }
  }

  get(g: number): ReadonlyMap<Key, number> | undefined {
    return this.sets[g];
  }

  merge(dst: number, src: number, source: GroupMultisets = this): void {
    const from = source.sets[src];
    if (!from) return;
    let to = this.sets[dst];
    if (!to) to = this.sets[dst] = new Map();
    for (const [v, c] of from) {
      const n = (to.get(v) ?? 0) + c;
      if (n === 0) to.delete(v);
      else to.set(v, n);
    }
  }

  reset(g: number): void {
    this.sets[g] = undefined;
  }

  save(g: number): [Value, number][] {
    return [...(this.sets[g] ?? [])];
  }

  load(g: number, state: [Key, number][]): void {
    this.sets[g] = state.length ? new Map(state) : undefined;
  }

  /** Groups ids[0..n) column-wise (see saveMultisetColumns). */
  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    saveMultisetColumns(this.argType, ids, n, into, prefix, (g) => this.sets[g]?.size ?? 0, (g, add) => {
      for (const [v, c] of this.sets[g] ?? []) add(v, c);
    });
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    loadMultisetColumns(this.argType, ids, n, from, prefix, (g, pairs) => this.load(g, pairs as [Key, number][]));
  }
}

/**
 * Per-group multisets column-wise, the one layout GroupMultisets and DistinctCounts both
 * write and read (so a checkpoint of either restores into the other): each group's number of
 * values, then every value and its count, group after group.
 */
export function saveMultisetColumns(
  argType: SqlType,
  ids: Int32Array,
  n: number,
  into: ColumnarState,
  prefix: string,
  size: (g: number) => number,
  pairs: (g: number, add: (v: Value, count: number) => void) => void,
): void {
  const sizes = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += sizes[i] = size(ids[i]!);
  into.put(`${prefix}sizes`, sizes);
  if (total === 0) return;
  const values = new ColumnBuilder(argType, total);
  const counts = new Float64Array(total);
  let k = 0;
  const add = (v: Value, c: number): void => {
    values.append(v);
    counts[k++] = c;
  };
  for (let i = 0; i < n; i++) pairs(ids[i]!, add);
  into.putColumn(`${prefix}values`, values.finish());
  into.put(`${prefix}counts`, counts);
}

/** Reads what saveMultisetColumns wrote: `load(g, pairs)` for every group, empty ones included. */
export function loadMultisetColumns(
  argType: SqlType,
  ids: Int32Array,
  n: number,
  from: ColumnarState,
  prefix: string,
  load: (g: number, pairs: [Value, number][]) => void,
): void {
  const sizes = from.get(`${prefix}sizes`, 'i32');
  const values = from.has(`${prefix}values`) ? from.column(`${prefix}values`, argType) : null;
  const counts = values === null ? null : from.get(`${prefix}counts`, 'f64');
  let k = 0;
  for (let i = 0; i < n; i++) {
    const pairs: [Value, number][] = [];
    for (const end = k + sizes[i]!; k < end; k++) pairs.push([readValue(values!, k, argType), counts![k]!]);
    load(ids[i]!, pairs);
  }
}
