/**
 * Row keys: beside a batch's Arrow data, the dense id of each row's key as the operator that
 * made the rows keeps it (its KeyTable id), so that a consumer grouping the rows by that key
 * (a view's net delta, state/keyed-delta.ts) reads ids instead of hashing the key columns
 * again. They are attached to the RecordBatch object itself: an operator that makes new data
 * drops them unless it forwards them on purpose (a projection that keeps the key columns),
 * so no batch can carry ids that do not match its rows.
 */
import type { RecordBatch } from 'apache-arrow';

/**
 * The ids of one operator's keys. Within a space, equal ids are equal key values (under
 * KeyTable equality: NULL is NULL, NaN is NaN, -0 is 0) and different ids different ones: a
 * space never gives an id to a second key. An operator that would reuse ids (or rebuilds its
 * keys on restore) starts a new space.
 */
export interface KeySpace {
  /** One past the highest id given so far. */
  readonly capacity: number;
}

/**
 * A new space over an id source whose ids lie below its capacity, `per` ids to each of them
 * (a Top-N's ranks of a partition): its capacity follows the source's.
 */
export function keySpaceOf(source: { readonly capacity: number }, per = 1): KeySpace {
  return {
    get capacity() {
      return source.capacity * per;
    },
  };
}

export interface RowKeys {
  readonly space: KeySpace;
  /** The key's columns, by position in the batch's schema (in any order). */
  readonly columns: readonly number[];
  /** The id of each row's key. */
  readonly ids: Int32Array;
}

const attached = new WeakMap<RecordBatch, RowKeys>();

/** Attaches the ids of `data`'s rows (one per row). */
export function attachRowKeys(data: RecordBatch, keys: RowKeys): void {
  if (keys.ids.length !== data.numRows) throw new Error(`row keys: ${keys.ids.length} ids for ${data.numRows} rows`);
  attached.set(data, keys);
}

/** The ids attached to `data`, if any. */
export function rowKeysOf(data: RecordBatch): RowKeys | undefined {
  return attached.get(data);
}

/**
 * Forwards the ids of `from` to `to`, a projection of it: `source[j]` is the input column
 * that output column j copies (-1: computed). Nothing is forwarded unless every key column
 * is copied; `sel` picks the rows kept (all when null).
 */
export function forwardRowKeys(from: RecordBatch, to: RecordBatch, source: readonly number[], sel: Int32Array | null = null): void {
  const keys = attached.get(from);
  if (keys === undefined) return;
  const columns: number[] = [];
  for (const c of keys.columns) {
    const j = source.indexOf(c);
    if (j < 0) return;
    columns.push(j);
  }
  let ids = keys.ids;
  if (sel !== null) {
    ids = new Int32Array(to.numRows);
    for (let k = 0; k < ids.length; k++) ids[k] = keys.ids[sel[k]!]!;
  }
  attachRowKeys(to, { space: keys.space, columns, ids });
}
