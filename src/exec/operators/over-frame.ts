/**
 * What the OVER operators share about one call: the value of a navigation function (LAG,
 * LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE) at a row, given the row's frame, and how far
 * ahead of a row a node's calls look (which decides when an append-only row can be emitted).
 */
import type { AnalyticFn, OverCall, OverFn, OverNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';

export function isAnalytic(fn: OverFn): fn is AnalyticFn {
  return fn === 'LAG' || fn === 'LEAD' || fn === 'FIRST_VALUE' || fn === 'LAST_VALUE' || fn === 'NTH_VALUE';
}

type Rows = readonly { readonly values: Value[] }[];

/**
 * The value of navigation call `c` at row `i` of `rows` whose frame is [lo, hi) (empty when
 * hi <= lo). LAG and LEAD ignore the frame, as in SQL.
 */
export function analyticValue(c: OverCall, rows: Rows, i: number, lo: number, hi: number): Value {
  if (c.ignoreNulls === true) return valueIgnoringNulls(c, rows, i, lo, hi);
  const x = (j: number) => rows[j]!.values[c.arg!]!;
  switch (c.fn) {
    case 'LAG':
    case 'LEAD': {
      const j = c.fn === 'LAG' ? i - c.offset! : i + c.offset!;
      if (j >= 0 && j < rows.length) return x(j);
      return c.defaultArg === null || c.defaultArg === undefined ? null : rows[i]!.values[c.defaultArg]!;
    }
    case 'FIRST_VALUE':
      return hi > lo ? x(lo) : null;
    case 'LAST_VALUE':
      return hi > lo ? x(hi - 1) : null;
    case 'NTH_VALUE':
      return lo + c.offset! - 1 < hi ? x(lo + c.offset! - 1) : null;
    default:
      throw new Error(`${c.fn} is not a navigation function`);
  }
}

/**
 * With IGNORE NULLS: LAG and LEAD count only rows whose value is not NULL (offset 0 is the row
 * itself, NULL or not); FIRST_VALUE, LAST_VALUE and NTH_VALUE pick among the frame's non-NULL
 * values. As DuckDB does.
 */
function valueIgnoringNulls(c: OverCall, rows: Rows, i: number, lo: number, hi: number): Value {
  const x = (j: number) => rows[j]!.values[c.arg!]!;
  switch (c.fn) {
    case 'LAG':
    case 'LEAD': {
      const j = c.fn === 'LAG' ? nthNonNullBefore(rows, c.arg!, i, c.offset!) : nthNonNullAfter(rows, c.arg!, i, c.offset!);
      if (j >= 0) return x(j);
      return c.defaultArg === null || c.defaultArg === undefined ? null : rows[i]!.values[c.defaultArg]!;
    }
    case 'FIRST_VALUE':
    case 'NTH_VALUE': {
      let left = c.fn === 'FIRST_VALUE' ? 1 : c.offset!;
      for (let j = lo; j < hi; j++) if (x(j) !== null && --left === 0) return x(j);
      return null;
    }
    case 'LAST_VALUE':
      for (let j = hi - 1; j >= lo; j--) if (x(j) !== null) return x(j);
      return null;
    default:
      throw new Error(`${c.fn} is not a navigation function`);
  }
}

/** The index of the n-th row before row i whose column `arg` is not NULL (i itself when n is 0); -1 if there are fewer. */
export function nthNonNullBefore(rows: Rows, arg: number, i: number, n: number): number {
  if (n === 0) return i;
  for (let j = i - 1; j >= 0; j--) if (rows[j]!.values[arg] !== null && --n === 0) return j;
  return -1;
}

/** The index of the n-th row after row i whose column `arg` is not NULL (i itself when n is 0); -1 if there are fewer. */
export function nthNonNullAfter(rows: Rows, arg: number, i: number, n: number): number {
  if (n === 0) return i;
  for (let j = i + 1; j < rows.length; j++) if (rows[j]!.values[arg] !== null && --n === 0) return j;
  return -1;
}

/** LAG and LEAD calls with IGNORE NULLS: how far they reach depends on the values, not on a count of rows. */
export function ignoringNulls(node: OverNode, fn: 'LAG' | 'LEAD'): OverCall[] {
  return node.calls.filter((c) => c.fn === fn && c.ignoreNulls === true);
}

/**
 * The most rows any call looks back past its frame (LAG's offset), 0 if none; Infinity for a
 * LAG … IGNORE NULLS, unless `counted` (then only the LAGs that count rows).
 */
export function lagReach(node: OverNode, counted = false): number {
  return Math.max(0, ...node.calls.map((c) => (c.fn !== 'LAG' ? 0 : c.ignoreNulls !== true ? c.offset! : counted ? 0 : Infinity)));
}

/** The most rows after a row that its result depends on, by ROWS frame end or LEAD offset (a LEAD … IGNORE NULLS: at least its offset). */
export function rowsAhead(node: OverNode): number {
  const f = node.frame;
  const frame = f.unit === 'ROWS' && f.following !== null && f.following > 0 ? f.following : 0;
  return Math.max(frame, ...node.calls.map((c) => (c.fn === 'LEAD' ? c.offset! : 0)));
}

/**
 * The frame [start, end) of row `i` in rows sorted by a numeric key `key` (ROWS: by
 * position; RANGE: by key, peers included), clamped to the rows present. `from` hints where
 * the RANGE searches may start (frames only move forward as `i` does).
 */
export function frameBounds(
  node: OverNode,
  len: number,
  i: number,
  key: (j: number) => number,
  from: { lo: number; hi: number },
): { start: number; end: number } {
  const f = node.frame;
  let start: number;
  let end: number;
  if (f.unit === 'ROWS') {
    start = f.preceding === null ? 0 : Math.max(0, i - f.preceding);
    end = f.following === null ? len : Math.min(len, Math.max(0, i + f.following + 1));
  } else {
    const t = key(i);
    start = f.preceding === null ? 0 : from.lo;
    if (f.preceding !== null) while (start < len && key(start) < t - f.preceding) start++;
    end = f.following === null ? len : Math.min(from.hi, len);
    if (f.following !== null) {
      while (end > 0 && key(end - 1) > t + f.following) end--;
      while (end < len && key(end) <= t + f.following) end++;
    }
  }
  return { start: Math.min(start, len), end };
}

/**
 * Calls `compute(from, to)` once per run of rows the `ranges` [from, to] cover, overlapping
 * or adjacent ranges merged (a row is recomputed once however many changes reach it).
 */
export function forMergedRanges(ranges: (readonly [number, number])[], compute: (from: number, to: number) => void): void {
  ranges.sort((a, b) => a[0] - b[0]);
  let k = 0;
  while (k < ranges.length) {
    const from = ranges[k]![0];
    let to = ranges[k]![1];
    while (k + 1 < ranges.length && ranges[k + 1]![0] <= to + 1) to = Math.max(to, ranges[++k]![1]);
    k++;
    if (from <= to) compute(from, to);
  }
}
