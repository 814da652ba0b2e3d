/**
 * Rows kept in SQL order per partition (Top-N, OVER over changelogs): the ordering of values
 * under a sort key, of whole rows by the ORDER BY keys then arrival, where a row goes in a
 * sorted list, and the partition a row belongs to.
 */
import { valueJson } from '../../value-json.js';
import type { SortKey } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { compareSql } from '../../sql-order.js';

/** A stored row and its arrival number (ties on the ORDER BY keys keep arrival order). */
export interface OrderedRow {
  readonly values: Value[];
  readonly seq: number;
}

/** SQL ordering of two values under a sort key (NULLS LAST unless asked otherwise). */
export function compareValues(a: Value, b: Value, key: Pick<SortKey, 'desc' | 'nullsFirst'>): number {
  if (a === b) return 0;
  if (a === null) return key.nullsFirst ? -1 : 1;
  if (b === null) return key.nullsFirst ? 1 : -1;
  const c = compareSql(a, b);
  return key.desc ? -c : c;
}

/** Rows by the ORDER BY keys, then by arrival. */
export function rowComparator(orderBy: readonly SortKey[]): (a: OrderedRow, b: OrderedRow) => number {
  // One key (q6: ORDER BY date_time): no loop over the keys per comparison.
  if (orderBy.length === 1) {
    const k = orderBy[0]!;
    const c = k.column;
    return (a, b) => compareValues(a.values[c]!, b.values[c]!, k) || a.seq - b.seq;
  }
  return (a, b) => {
    for (const k of orderBy) {
      const c = compareValues(a.values[k.column]!, b.values[k.column]!, k);
      if (c !== 0) return c;
    }
    return a.seq - b.seq;
  };
}

/** The first index of sorted `rows` whose row sorts at or after `e`. */
export function lowerBound<R>(rows: readonly R[], e: R, compare: (a: R, b: R) => number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(rows[mid]!, e) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The map key of a partition, from its PARTITION BY values ('' when there are none). */
export function partitionKey(keyValues: readonly Value[]): string {
  return keyValues.length === 0 ? '' : valueJson(keyValues);
}
