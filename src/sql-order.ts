/**
 * The order of non-NULL SQL values, as DuckDB (and PostgreSQL) have it: NaN is above every
 * number, +Infinity included, and equal to itself. JavaScript's `<` and `>` are false for
 * NaN either way, so a bare comparison makes it tie with everything (an ORDER BY that is no
 * order) or leaves it out of MIN and MAX depending on where it came in the stream.
 */
import type { Value } from './types.js';

/** -1, 0 or 1 as x sorts before, with or after y (numbers, strings or booleans of one type). */
export function compareSql(x: Value, y: Value): number {
  if ((x as number) < (y as number)) return -1;
  if ((x as number) > (y as number)) return 1;
  // Neither is below the other: equal, or a NaN is involved.
  const xn = x !== x;
  const yn = y !== y;
  return xn === yn ? 0 : xn ? 1 : -1;
}

/** Whether x replaces `best` as the MAX (`max`) or the MIN so far (both not NULL). */
export function beats(x: Value, best: Value, max: boolean): boolean {
  return max ? (x as number) > (best as number) || (x !== x && best === best) : (x as number) < (best as number) || (best !== best && x === x);
}

/** Whether a and b are the same value as a row's copy is matched (a retraction): NaN is NaN, NULL is NULL. */
export function sameValue(a: Value, b: Value): boolean {
  return a === b || (a !== a && b !== b);
}
