/**
 * Aggregate state, column-wise: one accumulator per aggregate call holds the state of every
 * group in arrays indexed by group id. All of them take retractions (sign -1), so
 * aggregates over changelogs stay exact.
 */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import type { ColumnBuilder } from '../batch.js';
import type { ColumnarState } from '../columnar-state.js';

export interface Accumulator {
  readonly type: SqlType;
  /** Makes room for group ids below `capacity`. */
  grow(capacity: number): void;
  /**
   * Folds rows 0..n-1 of `arg` (null for COUNT(*)) into their groups: row i into group
   * gids[i] (skipped when -1) with sign signs[i] (+1 when signs is null).
   */
  update(gids: Int32Array, n: number, arg: Data | null, signs: Int8Array | null): void;
  /** The result of group g. */
  value(g: number): Value;
  /** Appends the result of group g to a column. */
  emit(g: number, out: ColumnBuilder): void;
  /**
   * The results of groups ids[from..to) at the same positions of `nums` (valid[k] = 0:
   * NULL), as value(g) gives them; only accumulators of a number type have it.
   */
  numbers?(ids: Int32Array, from: number, to: number, nums: Float64Array, valid: Uint8Array): void;
  /**
   * Folds group `src` of `from` (this accumulator by default; else one of the same kind and
   * call) into group `dst` (merging sessions, or a window's panes).
   */
  merge(dst: number, src: number, from?: Accumulator): void;
  /** Forgets group g, whose id will be reused. */
  reset(g: number): void;
  /** Group g's state as plain data, and back. */
  save(g: number): unknown;
  load(g: number, state: unknown): void;
  /** The state of groups ids[0..n) column-wise, stored in `into` under names starting with `prefix`. */
  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void;
  /** Loads what saveColumns stored into groups ids[0..n) (the same order). */
  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void;
}

/** Grows a typed array to at least `n` elements, keeping its contents. */
export function grown<T extends Float64Array | Uint8Array | Int32Array>(a: T, n: number): T {
  if (a.length >= n) return a;
  const b = new (a.constructor as { new (n: number): T })(Math.max(n, a.length * 2, 16));
  b.set(a);
  return b;
}

/** Reads row i of a column as a value (slow path: distinct sets, multisets, strings). */
export type ValueReader = (i: number) => Value;
