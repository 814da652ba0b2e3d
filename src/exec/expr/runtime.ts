/**
 * The functions generated expression code calls per row for work too big to inline:
 * byte-level string comparisons and LIKE, and the scalar implementations of functions.ts
 * for the slow functions. Everything here is allocation-free except where a string result
 * is produced.
 */
import { decodeUtf8 } from '../batch.js';
import type { SqlType, Value } from '../../types.js';
import {
  castValue,
  codePointLength,
  compareStrings,
  dateTruncFn,
  extractFieldFn,
  formatDate,
  formatDouble,
  formatInterval,
  formatTimestamp,
  likeString,
  lowerString,
  ltrimString,
  roundDecimal,
  roundDigits,
  rtrimString,
  substringOf,
  trimString,
  upperString,
} from '../../plan/functions.js';
import { divCeil, divFloor, divRound, fitsDecimal, formatDecimal, overflowError, scaleOf, toUnscaled, type DecimalType } from '../../decimal.js';
import { SluiceError } from '../../errors.js';
import { containsBytes, endsWithBytes, likeBytes, startsWithBytes } from './like.js';
import { evalMoreFunction, type MoreFn } from '../../plan/more-functions.js';

const encoder = new TextEncoder();

/** Three-way comparison of two UTF-8 byte ranges (byte order is code point order). */
function cmpRef(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const la = ae - as;
  const lb = be - bs;
  const n = la < lb ? la : lb;
  for (let k = 0; k < n; k++) {
    const x = a[as + k]!;
    const y = b[bs + k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return la === lb ? 0 : la < lb ? -1 : 1;
}

function eqRef(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): boolean {
  const n = ae - as;
  if (n !== be - bs) return false;
  for (let k = 0; k < n; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}

/** Counts the code points of a UTF-8 range: every byte that is not a continuation byte. */
function utf8Length(s: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let k = start; k < end; k++) if ((s[k]! & 0xc0) !== 0x80) n++;
  return n;
}

/** The end of the range splitPartStart last found (read right after the call). */
let splitEnd = 0;

/** Where delimiter `d` (not empty) next occurs in b[from, end), or -1. */
function nextDelimiter(b: Uint8Array, from: number, end: number, d: Uint8Array): number {
  const d0 = d[0]!;
  const m = d.length;
  outer: for (let p = from; p + m <= end; p++) {
    if (b[p] !== d0) continue;
    for (let k = 1; k < m; k++) if (b[p + k] !== d[k]) continue outer;
    return p;
  }
  return -1;
}

/**
 * SPLIT_PART on UTF-8 bytes, as evalMoreFunction's on the decoded string (UTF-8 matches a
 * valid delimiter exactly where the text has it): the start of part `n` (1-based; negative
 * counts from the end; 0 or out of range: the empty part at `s`) of b[s, e) split on `d`,
 * its end in {@link splitPartEnd}.
 */
function splitPartStart(b: Uint8Array, s: number, e: number, d: Uint8Array, n: number): number {
  if (d.length === 0) {
    const whole = n === 1 || n === -1;
    splitEnd = whole ? e : s;
    return s;
  }
  let k = n - 1;
  if (n < 0) {
    let parts = 1;
    for (let p = nextDelimiter(b, s, e, d); p >= 0; p = nextDelimiter(b, p + d.length, e, d)) parts++;
    k = parts + n;
  }
  if (k < 0) {
    splitEnd = s;
    return s;
  }
  let start = s;
  for (; k > 0; k--) {
    const p = nextDelimiter(b, start, e, d);
    if (p < 0) {
      splitEnd = s;
      return s;
    }
    start = p + d.length;
  }
  const p = nextDelimiter(b, start, e, d);
  splitEnd = p < 0 ? e : p;
  return start;
}

function splitPartEnd(): number {
  return splitEnd;
}

function cast(v: Value, from: SqlType, to: SqlType): Value {
  return castValue(v, from, to);
}

function extract(field: string, x: number, argType: SqlType): number | null {
  const f = extractFieldFn(field, argType);
  return f === undefined ? null : f(x);
}

function dateTrunc(unit: string, x: number): number | null {
  const f = dateTruncFn(unit);
  return f === undefined ? null : f(x);
}

/** Throws the OVERFLOW of a DECIMAL result `x` of `what` (an operator or the cast's source type) for `type`. */
function decimalOverflow(x: number, what: string, type: DecimalType): never {
  const shown = Number.isFinite(x) && Math.abs(x) < 1e21 ? formatDecimal(x, scaleOf(type)) : String(x);
  throw overflowError(`${what.length <= 2 ? `the result of ${what}` : `a ${what} value`} (${shown} at scale ${scaleOf(type)})`, type, x);
}

/** A query parameter for a DECIMAL (a number, decimal text or a bigint) as its unscaled value. */
function decimalParam(v: unknown, type: DecimalType): number {
  const x = toUnscaled(v, scaleOf(type));
  if (x !== x) throw new SluiceError('ARGUMENT', `parameter ${String(v)} is not a number for ${type}`);
  if (!fitsDecimal(x, type)) throw overflowError(`parameter ${String(v)}`, type, x);
  return x;
}

/** The helper table handed to generated code (as `H`). */
export const RUNTIME = {
  decode: decodeUtf8,
  encode: (s: string): Uint8Array => encoder.encode(s),
  cmpRef,
  eqRef,
  cmpStr: compareStrings,
  utf8Length,
  cpLength: codePointLength,
  likeBytes,
  likeStr: likeString,
  startsWith: startsWithBytes,
  endsWith: endsWithBytes,
  contains: containsBytes,
  lower: lowerString,
  upper: upperString,
  trim: trimString,
  ltrim: ltrimString,
  rtrim: rtrimString,
  substr: substringOf,
  formatDouble,
  formatTimestamp,
  formatDate,
  formatInterval,
  cast,
  roundDigits,
  roundDecimal,
  divRound,
  divFloor,
  divCeil,
  formatDecimal,
  decimalOverflow,
  decimalParam,
  extract,
  dateTrunc,
  splitPartStart,
  splitPartEnd,
  more: (fn: MoreFn, args: Value[]) => evalMoreFunction(fn, args),
};

/** The name of a runtime helper, as generated code refers to it. */
export type RuntimeName = keyof typeof RUNTIME;
