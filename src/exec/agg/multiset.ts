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

  /** Groups ids[0..n) column-wise: each one's number of distinct values, then every value and its count. */
  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    const sizes = new Int32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += sizes[i] = this.sets[ids[i]!]?.size ?? 0;
    into.put(`${prefix}sizes`, sizes);
    if (total === 0) return;
    const values = new ColumnBuilder(this.argType, total);
    const counts = new Float64Array(total);
    let k = 0;
    for (let i = 0; i < n; i++) {
      for (const [v, c] of this.sets[ids[i]!] ?? []) {
        values.append(v);
        counts[k++] = c;
      }
    }
    into.putColumn(`${prefix}values`, values.finish());
    into.put(`${prefix}counts`, counts);
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    const sizes = from.get(`${prefix}sizes`, 'i32');
    if (!from.has(`${prefix}values`)) {
      for (let i = 0; i < n; i++) this.sets[ids[i]!] = undefined;
      return;
    }
    const values = from.column(`${prefix}values`, this.argType);
    const counts = from.get(`${prefix}counts`, 'f64');
    let k = 0;
    for (let i = 0; i < n; i++) {
      const size = sizes[i]!;
      if (size === 0) {
        this.sets[ids[i]!] = undefined;
        continue;
      }
      const m = new Map<Key, number>();
      for (const end = k + size; k < end; k++) m.set(readValue(values, k, this.argType) as Key, counts[k]!);
      this.sets[ids[i]!] = m;
    }
  }
}
