/**
 * LIKE on UTF-8 bytes. A constant pattern is classified once at compile time; the common
 * shapes (`abc`, `abc%`, `%abc`, `%abc%`) become byte comparisons on the column's bytes
 * without decoding, anything else runs a wildcard matcher over the bytes where `_`
 * consumes one code point. There is no escape character (sluice's LIKE has none).
 */

/** How a constant LIKE pattern is matched. */
export type LikeShape =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact' | 'prefix' | 'suffix' | 'contains'; readonly literal: string }
  | { readonly kind: 'general' };

/** Classifies a pattern: `%…%` shapes with one wildcard-free literal get a fast path. */
export function likeShape(pattern: string): LikeShape {
  if (pattern.includes('_')) return { kind: 'general' };
  let a = 0;
  let b = pattern.length;
  while (a < b && pattern.charCodeAt(a) === 37) a++;
  while (b > a && pattern.charCodeAt(b - 1) === 37) b--;
  const literal = pattern.slice(a, b);
  if (literal.includes('%')) return { kind: 'general' };
  const lead = a > 0;
  const trail = b < pattern.length;
  if (literal.length === 0) return lead ? { kind: 'any' } : { kind: 'exact', literal };
  if (lead && trail) return { kind: 'contains', literal };
  if (lead) return { kind: 'suffix', literal };
  if (trail) return { kind: 'prefix', literal };
  return { kind: 'exact', literal };
}

/** Index of the code point after the one starting at byte i (i < end). */
function nextCodePoint(s: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end && (s[i]! & 0xc0) === 0x80) i++;
  return i;
}

/** LIKE of bytes s[si..se) against pattern bytes p[pi..pe): `%` any run, `_` one code point. */
export function likeBytes(s: Uint8Array, si: number, se: number, p: Uint8Array, pi: number, pe: number): boolean {
  let i = si;
  let j = pi;
  let starJ = -1;
  let starI = 0;
  while (i < se) {
    if (j < pe) {
      const c = p[j]!;
      if (c === 37 /* % */) {
        starJ = ++j;
        starI = i;
        continue;
      }
      if (c === 95 /* _ */) {
        i = nextCodePoint(s, i, se);
        j++;
        continue;
      }
      if (c === s[i]) {
        i++;
        j++;
        continue;
      }
    }
    // Mismatch: let the last % swallow one more code point and retry from there.
    if (starJ < 0) return false;
    starI = nextCodePoint(s, starI, se);
    i = starI;
    j = starJ;
  }
  while (j < pe && p[j] === 37) j++;
  return j === pe;
}

/** True when bytes s[si..se) start with all of `lit`. */
export function startsWithBytes(s: Uint8Array, si: number, se: number, lit: Uint8Array): boolean {
  const n = lit.length;
  if (se - si < n) return false;
  for (let k = 0; k < n; k++) if (s[si + k] !== lit[k]) return false;
  return true;
}

/** True when bytes s[si..se) end with all of `lit`. */
export function endsWithBytes(s: Uint8Array, si: number, se: number, lit: Uint8Array): boolean {
  const n = lit.length;
  if (se - si < n) return false;
  const at = se - n;
  for (let k = 0; k < n; k++) if (s[at + k] !== lit[k]) return false;
  return true;
}

/** True when `lit` (non-empty) occurs in bytes s[si..se); scans for the first byte, then compares. */
export function containsBytes(s: Uint8Array, si: number, se: number, lit: Uint8Array): boolean {
  const n = lit.length;
  const first = lit[0]!;
  const last = se - n;
  for (let i = si; i <= last; i++) {
    if (s[i] !== first) continue;
    let k = 1;
    while (k < n && s[i + k] === lit[k]) k++;
    if (k === n) return true;
  }
  return false;
}
