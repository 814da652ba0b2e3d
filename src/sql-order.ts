/**
 * The order of non-NULL SQL values, as DuckDB (and PostgreSQL) have it: NaN is above every
 * number, +Infinity included, and equal to itself. JavaScript's `<` and `>` are false for
 * NaN either way, so a bare comparison makes it tie with everything (an ORDER BY that is no
 * order) or leaves it out of MIN and MAX depending on where it came in the stream. Text is
 * in code point order (DuckDB compares UTF-8 bytes, the same order), where JavaScript
 * compares UTF-16 units: there an emoji (a surrogate pair) sorts below U+E000–U+FFFF.
 */
import type { Value } from './types.js';

/** -1, 0 or 1 as x sorts before, with or after y (numbers, strings or booleans of one type). */
export function compareSql(x: Value, y: Value): number {
  if (typeof x === 'string') return compareText(x, y as string);
  if ((x as number) < (y as number)) return -1;
  if ((x as number) > (y as number)) return 1;
  // Neither is below the other: equal, or a NaN is involved.
  const xn = x !== x;
  const yn = y !== y;
  return xn === yn ? 0 : xn ? 1 : -1;
}

/** Whether x replaces `best` as the MAX (`max`) or the MIN so far (both not NULL). */
export function beats(x: Value, best: Value, max: boolean): boolean {
  if (typeof x === 'string') return max ? compareText(x, best as string) > 0 : compareText(x, best as string) < 0;
  return max ? (x as number) > (best as number) || (x !== x && best === best) : (x as number) < (best as number) || (best !== best && x === x);
}

/** Whether a and b are the same value as a row's copy is matched (a retraction): NaN is NaN, NULL is NULL. */
export function sameValue(a: Value, b: Value): boolean {
  return a === b || (a !== a && b !== b);
}

/** Units from U+D800 up: where UTF-16 order and code point order can part. */
const HIGH_UNIT = /[\uD800-\uFFFF]/;

/** -1, 0 or 1 as text a sorts before, with or after b in code point (UTF-8 byte) order. */
export function compareText(a: string, b: string): number {
  const c = a < b ? -1 : a > b ? 1 : 0;
  // The orders part only where both have a unit from U+D800 up at their first difference.
  if (c === 0 || !HIGH_UNIT.test(a) || !HIGH_UNIT.test(b)) return c;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) < codePointRank(y) ? -1 : 1;
  }
  return c;
}

/** A UTF-16 unit's rank in code point order: surrogates (astral code points) above U+E000–U+FFFF. */
function codePointRank(u: number): number {
  return u < 0xd800 ? u : u < 0xe000 ? u + 0x2000 : u - 0x800;
}
