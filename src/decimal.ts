/**
 * DECIMAL(p,s): exact fixed-point numbers. The executor holds a DECIMAL value as its
 * *unscaled* integer (value × 10^s) in a float64, as it holds a BIGINT: exact while the
 * unscaled integer stays within ±(2^53 − 1). Every operation that could leave that range
 * checks, and throws an OVERFLOW SluiceError rather than lose a digit; nothing here rounds
 * through a binary fraction.
 *
 * Typing follows DuckDB (verified against DuckDB 1.5): a literal with a fraction is
 * DECIMAL(digits, fraction digits); INT meets a DECIMAL as DECIMAL(10,0), BIGINT as
 * DECIMAL(19,0); `+ -` give scale max(s1,s2) and width max(p1−s1, p2−s2) + scale + 1;
 * `*` gives scale s1+s2 and width p1+p2; widths are capped at 38, and at 18 when both
 * operands have at most 18 digits.
 */
import { SluiceError } from './errors.js';
import type { SqlType } from './types.js';

/** A DECIMAL type in its canonical text, `DECIMAL(10,2)`. */
export type DecimalType = `DECIMAL(${number},${number})`;

export const MAX_DECIMAL_PRECISION = 38;
/** The largest unscaled magnitude held exactly (2^53 − 1). */
export const MAX_UNSCALED = Number.MAX_SAFE_INTEGER;

/** 10^0 … 10^22: every one is an exact double. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** 10^k for 0 ≤ k ≤ 22 (exact), or Infinity past the range any held value can reach. */
export function pow10(k: number): number {
  return k < POW10.length ? POW10[k]! : Infinity;
}

export function isDecimal(t: SqlType): t is DecimalType {
  return t.charCodeAt(0) === 68 /* D */ && t.charCodeAt(1) === 69 /* E */;
}

/** `DECIMAL(p,s)`; undefined when p is not 1…38 or s not 0…p. */
export function decimalType(p: number, s: number): DecimalType | undefined {
  if (!Number.isInteger(p) || !Number.isInteger(s) || p < 1 || p > MAX_DECIMAL_PRECISION || s < 0 || s > p) return undefined;
  return `DECIMAL(${p},${s})`;
}

const parsedTypes = new Map<string, readonly [number, number]>();

function parts(t: DecimalType): readonly [number, number] {
  let r = parsedTypes.get(t);
  if (r === undefined) {
    const m = /^DECIMAL\((\d+),(\d+)\)$/.exec(t);
    if (m === null) throw new SluiceError('INTERNAL', `malformed decimal type ${t}`);
    r = [Number(m[1]), Number(m[2])];
    parsedTypes.set(t, r);
  }
  return r;
}

export function precisionOf(t: DecimalType): number {
  return parts(t)[0];
}

export function scaleOf(t: DecimalType): number {
  return parts(t)[1];
}

/** The scale of a type as a DECIMAL operand (0 for integers). */
export function scaleOrZero(t: SqlType): number {
  return isDecimal(t) ? scaleOf(t) : 0;
}

function capped(p: number, s: number): DecimalType {
  const t = decimalType(Math.min(p, MAX_DECIMAL_PRECISION), Math.min(s, MAX_DECIMAL_PRECISION));
  if (t === undefined) throw new SluiceError('INTERNAL', `no decimal type of width ${p} and scale ${s}`);
  return t;
}

/** The DECIMAL an exact number of type `t` takes beside a DECIMAL (INT → (10,0), BIGINT → (19,0)), else undefined. */
export function asDecimal(t: SqlType): DecimalType | undefined {
  if (isDecimal(t)) return t;
  if (t === 'INT') return 'DECIMAL(10,0)';
  if (t === 'BIGINT') return 'DECIMAL(19,0)';
  return undefined;
}

function intDigits(t: DecimalType): number {
  return precisionOf(t) - scaleOf(t);
}

/** The type of a numeric literal with a fraction (`0.908` → DECIMAL(4,3), `.5` → DECIMAL(1,1)), or undefined beyond 38 digits. */
export function decimalLiteralType(text: string): DecimalType | undefined {
  if (/[eE]/.test(text)) return undefined;
  const dot = text.indexOf('.');
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  const scale = dot < 0 ? 0 : text.length - dot - 1;
  return decimalType(Math.max(digits, scale, 1), scale);
}

/** DuckDB keeps a result of two operands of at most 18 digits within 18 (an int64, overflow checked). */
const INT64_WIDTH = 18;

/** `+`/`-`: scale max(s1,s2), width max(p1−s1, p2−s2) + scale + 1 (18 at most when both operands fit 18). */
export function decimalSumType(a: DecimalType, b: DecimalType): DecimalType {
  const s = Math.max(scaleOf(a), scaleOf(b));
  const p = Math.max(intDigits(a), intDigits(b)) + s + 1;
  const narrow = p > INT64_WIDTH && precisionOf(a) <= INT64_WIDTH && precisionOf(b) <= INT64_WIDTH;
  return capped(narrow ? INT64_WIDTH : p, s);
}

/** `*`: scale s1+s2, width p1+p2 (18 at most when both operands fit 18 and the scale is below 18). */
export function decimalProductType(a: DecimalType, b: DecimalType): DecimalType {
  const p = precisionOf(a) + precisionOf(b);
  const s = scaleOf(a) + scaleOf(b);
  const narrow = p > INT64_WIDTH && precisionOf(a) <= INT64_WIDTH && precisionOf(b) <= INT64_WIDTH && s < INT64_WIDTH;
  return capped(narrow ? INT64_WIDTH : p, s);
}

/** `%`, comparisons, CASE, COALESCE, UNION: scale max(s1,s2), width max(p1−s1, p2−s2) + scale. */
export function decimalCommonType(a: DecimalType, b: DecimalType): DecimalType {
  const s = Math.max(scaleOf(a), scaleOf(b));
  return capped(Math.max(intDigits(a), intDigits(b)) + s, s);
}

/** ROUND(DECIMAL(p,s), digits) as DuckDB types it: the scale becomes digits when smaller (0 when negative). */
export function decimalRoundType(t: DecimalType, digits: number): DecimalType {
  const s = scaleOf(t);
  return digits >= s ? t : capped(precisionOf(t), Math.max(digits, 0));
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/**
 * The OVERFLOW of `what` for `type`; `x`, the unscaled value when known, tells whether it
 * has more digits than the type allows or is past what sluice holds exactly.
 */
export function overflowError(what: string, type: SqlType, x?: number): SluiceError {
  const why =
    x !== undefined && Math.abs(x) <= MAX_UNSCALED && isDecimal(type)
      ? `more than the ${precisionOf(type) - scaleOf(type)} integer digits it allows`
      : 'sluice holds DECIMAL values exactly up to ±9007199254740991 unscaled (2^53 − 1)';
  return new SluiceError('OVERFLOW', `${what} is out of range for ${type}: ${why}`);
}

/** True when an unscaled value fits the type: exact (within 2^53) and within its declared digits. */
export function fitsDecimal(x: number, t: DecimalType): boolean {
  return Math.abs(x) <= MAX_UNSCALED && Math.abs(x) < pow10(precisionOf(t));
}

/** `x` unchanged when it fits `t`; otherwise an OVERFLOW naming `what`. */
export function checkDecimal(x: number, t: DecimalType, what: string): number {
  if (fitsDecimal(x, t)) return x + 0;
  throw overflowError(what, t, x);
}

/** Integer x / d rounded half away from zero, exactly (d a power of ten, both within 2^53). */
export function divRound(x: number, d: number): number {
  const r = x % d;
  const q = (x - r) / d;
  if (2 * Math.abs(r) >= d) return x < 0 ? q - 1 : q + 1;
  return q + 0;
}

/** Integer floor(x / d) (d a power of ten). */
export function divFloor(x: number, d: number): number {
  const r = x % d;
  const q = (x - r) / d;
  return r < 0 ? q - 1 : q + 0;
}

/** Integer ceil(x / d) (d a power of ten). */
export function divCeil(x: number, d: number): number {
  const r = x % d;
  const q = (x - r) / d;
  return r > 0 ? q + 1 : q + 0;
}

/** An unscaled value moved from scale `from` to scale `to` (rounding half away from zero when the scale shrinks); unchecked. */
export function rescale(x: number, from: number, to: number): number {
  if (to === from) return x;
  return to > from ? x * pow10(to - from) : divRound(x, pow10(from - to));
}

/**
 * Parses decimal text (`-12.345`, ` +1.5 `, `.5`, `1e2`, `1_000.5`) into the unscaled integer
 * at `scale`, rounding extra fraction digits half away from zero. NaN when the text is not a
 * number; a value beyond 2^53 comes back inexact and fails {@link fitsDecimal}.
 */
export function parseDecimal(text: string, scale: number): number {
  let i = 0;
  let n = text.length;
  while (i < n && text.charCodeAt(i) === 32) i++;
  while (n > i && text.charCodeAt(n - 1) === 32) n--;
  let neg = false;
  const sign = text.charCodeAt(i);
  if (sign === 45 || sign === 43) {
    neg = sign === 45;
    i++;
  }
  let intPart = '';
  let frac = '';
  let seenDot = false;
  let any = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      any = true;
      if (seenDot) frac += text[i];
      else if (intPart.length > 0 || c !== 48) intPart += text[i];
    } else if (c === 46 && !seenDot) seenDot = true;
    else if (c === 95 && any) continue;
    else break;
  }
  if (!any) return NaN;
  if (i < n) {
    const e = text.charCodeAt(i);
    if (e !== 101 && e !== 69) return NaN;
    const m = /^[+-]?\d+$/.exec(text.slice(i + 1, n));
    if (m === null) return NaN;
    const exp = Number(m[0]);
    if (exp > 0) {
      const moved = frac.slice(0, exp).padEnd(exp, '0');
      intPart = (intPart + moved).replace(/^0+/, '');
      frac = frac.slice(exp);
    } else if (exp < 0) {
      const k = Math.min(-exp, 400);
      const padded = intPart.padStart(k, '0');
      frac = padded.slice(padded.length - k) + frac;
      intPart = padded.slice(0, padded.length - k).replace(/^0+/, '');
    }
  }
  return digitsToUnscaled(intPart, frac, scale, neg);
}

function digitsToUnscaled(intPart: string, frac: string, scale: number, neg: boolean): number {
  if (intPart.length > 17) return neg ? -Infinity : Infinity;
  let v = 0;
  for (let k = 0; k < intPart.length; k++) v = v * 10 + (intPart.charCodeAt(k) - 48);
  for (let k = 0; k < scale; k++) v = v * 10 + (k < frac.length ? frac.charCodeAt(k) - 48 : 0);
  if (frac.length > scale && frac.charCodeAt(scale) >= 53 /* 5 */) v += 1;
  return neg ? 0 - v : v;
}

/**
 * A JS number as an unscaled DECIMAL at `scale`, taken from its shortest decimal text
 * (`String(2.675)` is `2.675`, so it rounds to 2.68 as DuckDB does, never via the binary
 * fraction 2.67499…). NaN for NaN and ±Infinity.
 */
export function numberToDecimal(x: number, scale: number): number {
  if (!Number.isFinite(x)) return NaN;
  if (Number.isInteger(x) && Math.abs(x) <= MAX_UNSCALED) return x * pow10(scale) + 0;
  return parseDecimal(String(x), scale);
}

/** A value given for a DECIMAL by an API caller or a JSON parser: a number, decimal text or a bigint; NaN when it is none. */
export function toUnscaled(v: unknown, scale: number): number {
  if (typeof v === 'number') return numberToDecimal(v, scale);
  if (typeof v === 'string') return parseDecimal(v, scale);
  if (typeof v === 'bigint') return Math.abs(Number(v)) <= MAX_UNSCALED ? Number(v) * pow10(scale) : Number(v) > 0 ? Infinity : -Infinity;
  return NaN;
}

/** The unscaled value's digits at `scale`: `formatDecimal(123450, 2)` is `'1234.50'`, `formatDecimal(-5, 2)` is `'-0.05'`. */
export function formatDecimal(x: number, scale: number): string {
  const neg = x < 0;
  const digits = String(neg ? -x : x);
  if (scale === 0) return neg ? `-${digits}` : digits;
  const padded = digits.length <= scale ? digits.padStart(scale + 1, '0') : digits;
  const cut = padded.length - scale;
  return `${neg ? '-' : ''}${padded.slice(0, cut)}.${padded.slice(cut)}`;
}

/** The unscaled value as a double (correctly rounded: one division of two exact doubles). */
export function decimalToNumber(x: number, scale: number): number {
  return scale === 0 ? x : x / pow10(scale);
}
