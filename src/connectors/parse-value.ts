/**
 * Text → value parsing for the file connectors: numbers, booleans, ISO-8601 timestamps and
 * dates, working on UTF-8 bytes so jsonl and csv fields convert without first becoming JS
 * strings. Every parser returns NaN (or -1 for booleans) instead of throwing: a bad field
 * is a dead letter, not an exception, and exceptions are slow on a hot path.
 *
 * Kept separate from the SQL functions in src/plan on purpose: connectors sit below the
 * planner and must not import it.
 */
import { MS_PER_DAY, type SqlType } from '../types.js';
import { fitsDecimal, parseDecimal, type DecimalType } from '../decimal.js';

const encoder = new TextEncoder();

const CH_0 = 48;
const CH_9 = 57;
const CH_PLUS = 43;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_COLON = 58;
const CH_SPACE = 32;
const CH_TAB = 9;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

/** Exact powers of ten: a mantissa below 2^53 scaled by one of them is correctly rounded. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

function latin1(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i]!);
  return out;
}

/**
 * Parses a decimal number (`-12`, `3.5`, `1e3`, `+7`, `.5`) in bytes [s, e); NaN when the
 * bytes are not exactly one number. Up to 15 significant digits take an exact fast path;
 * longer numbers go through `Number()`, which rounds correctly.
 */
export function parseNumberBytes(b: Uint8Array, s: number, e: number): number {
  let i = s;
  if (i >= e) return NaN;
  let neg = false;
  let c = b[i]!;
  if (c === CH_MINUS || c === CH_PLUS) {
    neg = c === CH_MINUS;
    if (++i >= e) return NaN;
  }
  let mant = 0;
  let digits = 0;
  let scale = 0;
  while (i < e && isDigit((c = b[i]!))) {
    mant = mant * 10 + (c - CH_0);
    digits++;
    i++;
  }
  if (i < e && b[i] === CH_DOT) {
    i++;
    while (i < e && isDigit((c = b[i]!))) {
      mant = mant * 10 + (c - CH_0);
      digits++;
      scale++;
      i++;
    }
  }
  if (digits === 0) return NaN;
  let exp = 0;
  if (i < e && (b[i] === 101 || b[i] === 69) /* e E */) {
    i++;
    let eneg = false;
    if (i < e && (b[i] === CH_PLUS || b[i] === CH_MINUS)) eneg = b[i++] === CH_MINUS;
    if (i >= e || !isDigit(b[i]!)) return NaN;
    while (i < e && isDigit((c = b[i]!))) {
      if (exp < 100000) exp = exp * 10 + (c - CH_0);
      i++;
    }
    if (eneg) exp = -exp;
  }
  if (i !== e) return NaN;
  const p = exp - scale;
  if (digits <= 15 && p >= -22 && p <= 22) {
    const v = p < 0 ? mant / POW10[-p]! : mant * POW10[p]!;
    return neg ? -v : v;
  }
  return Number(latin1(b, s, e));
}

/** Parses a boolean (`true`/`false`/`t`/`f`/`1`/`0`, any case): 1, 0, or -1 when it is none. */
export function parseBooleanBytes(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n === 1) {
    const c = b[s]! | 0x20;
    if (c === 116 /* t */ || b[s] === 49 /* 1 */) return 1;
    if (c === 102 /* f */ || b[s] === CH_0) return 0;
    return -1;
  }
  if (n === 4 && (b[s]! | 0x20) === 116 && (b[s + 1]! | 0x20) === 114 && (b[s + 2]! | 0x20) === 117 && (b[s + 3]! | 0x20) === 101) return 1;
  if (
    n === 5 &&
    (b[s]! | 0x20) === 102 &&
    (b[s + 1]! | 0x20) === 97 &&
    (b[s + 2]! | 0x20) === 108 &&
    (b[s + 3]! | 0x20) === 115 &&
    (b[s + 4]! | 0x20) === 101
  )
    return 0;
  return -1;
}

/** Days from 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm: no Date object). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Reads exactly `n` digits at `i`; -1 when any is not a digit. */
function digitsAt(b: Uint8Array, i: number, n: number, e: number): number {
  if (i + n > e) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = b[i + k]!;
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - CH_0);
  }
  return v;
}

/** Parses `YYYY-MM-DD` at [s, s+10): days since the epoch, or NaN. */
function parseDatePart(b: Uint8Array, s: number, e: number): number {
  const y = digitsAt(b, s, 4, e);
  if (y < 0 || b[s + 4] !== CH_MINUS) return NaN;
  const m = digitsAt(b, s + 5, 2, e);
  if (m < 1 || m > 12 || b[s + 7] !== CH_MINUS) return NaN;
  const d = digitsAt(b, s + 8, 2, e);
  if (d < 1 || d > daysInMonth(y, m)) return NaN;
  return daysFromCivil(y, m, d);
}

function trimStart(b: Uint8Array, s: number, e: number): number {
  while (s < e && (b[s] === CH_SPACE || b[s] === CH_TAB)) s++;
  return s;
}

function trimEnd(b: Uint8Array, s: number, e: number): number {
  while (e > s && (b[e - 1] === CH_SPACE || b[e - 1] === CH_TAB)) e--;
  return e;
}

/** Parses a DATE `YYYY-MM-DD` (surrounding blanks allowed): days since the epoch, or NaN. */
export function parseDateBytes(b: Uint8Array, s: number, e: number): number {
  s = trimStart(b, s, e);
  e = trimEnd(b, s, e);
  if (e - s !== 10) return NaN;
  return parseDatePart(b, s, e);
}

/**
 * Parses a TIMESTAMP: ISO-8601 `YYYY-MM-DD[(T|' ')HH:MM[:SS[.fraction]]][Z|±HH[:MM]|±HHMM]`
 * (no zone = UTC; fractions beyond milliseconds are truncated), or epoch milliseconds written
 * as a number. Returns epoch ms, or NaN.
 */
export function parseTimestampBytes(b: Uint8Array, s: number, e: number): number {
  s = trimStart(b, s, e);
  e = trimEnd(b, s, e);
  if (e - s < 10 || b[s + 4] !== CH_MINUS) {
    const v = parseNumberBytes(b, s, e);
    return Number.isFinite(v) ? Math.floor(v) : NaN;
  }
  const days = parseDatePart(b, s, e);
  if (Number.isNaN(days)) return NaN;
  let ms = days * MS_PER_DAY;
  let i = s + 10;
  if (i === e) return ms;
  const sep = b[i]!;
  if (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== CH_SPACE) return NaN;
  i++;
  const hh = digitsAt(b, i, 2, e);
  if (hh < 0 || hh > 23 || b[i + 2] !== CH_COLON) return NaN;
  const mi = digitsAt(b, i + 3, 2, e);
  if (mi < 0 || mi > 59) return NaN;
  i += 5;
  let ss = 0;
  let frac = 0;
  if (i < e && b[i] === CH_COLON) {
    ss = digitsAt(b, i + 1, 2, e);
    if (ss < 0 || ss > 59) return NaN;
    i += 3;
    if (i < e && b[i] === CH_DOT) {
      i++;
      const f0 = i;
      let scaleDigits = 0;
      while (i < e && isDigit(b[i]!)) {
        if (scaleDigits < 3) {
          frac = frac * 10 + (b[i]! - CH_0);
          scaleDigits++;
        }
        i++;
      }
      if (i === f0) return NaN;
      while (scaleDigits < 3) {
        frac *= 10;
        scaleDigits++;
      }
    }
  }
  ms += hh * 3_600_000 + mi * 60_000 + ss * 1000 + frac;
  if (i < e && b[i] === CH_SPACE) i++;
  if (i === e) return ms;
  const z = b[i]!;
  if (z === 90 /* Z */ || z === 122 /* z */) return i + 1 === e ? ms : NaN;
  if (z !== CH_PLUS && z !== CH_MINUS) return NaN;
  const oh = digitsAt(b, i + 1, 2, e);
  if (oh < 0 || oh > 18) return NaN;
  i += 3;
  let om = 0;
  if (i < e) {
    if (b[i] === CH_COLON) i++;
    om = digitsAt(b, i, 2, e);
    if (om < 0 || om > 59) return NaN;
    i += 2;
  }
  if (i !== e) return NaN;
  const offset = (oh * 60 + om) * 60_000;
  return z === CH_PLUS ? ms - offset : ms + offset;
}

/** {@link parseTimestampBytes} for a JS string (slow paths: options, JSON escapes, DuckDB text). */
export function parseTimestamp(text: string): number {
  const b = encoder.encode(text);
  return parseTimestampBytes(b, 0, b.length);
}

/** {@link parseDateBytes} for a JS string. */
export function parseDate(text: string): number {
  const b = encoder.encode(text);
  return parseDateBytes(b, 0, b.length);
}

/** {@link parseNumberBytes} for a JS string, after trimming blanks. */
export function parseNumber(text: string): number {
  const b = encoder.encode(text.trim());
  return parseNumberBytes(b, 0, b.length);
}

/** {@link parseBooleanBytes} for a JS string, after trimming blanks. */
export function parseBoolean(text: string): number {
  const b = encoder.encode(text.trim());
  return parseBooleanBytes(b, 0, b.length);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Why a number does not fit a numeric SQL type (null when it fits): INT must be an int32,
 * BIGINT an integer within ±2^53 (the range sluice keeps exactly), DOUBLE any finite number.
 * `shown` renders the value as the user wrote it, called only when there is a problem.
 */
export function numericProblem(v: number, type: SqlType, column: string, shown: () => string): string | null {
  switch (type) {
    case 'INT':
      if (v >= INT32_MIN && v <= INT32_MAX && Number.isInteger(v)) return null;
      if (!Number.isInteger(v)) return `column ${column}: expected INT, got ${shown()}`;
      return `column ${column}: ${shown()} is out of range for INT`;
    case 'BIGINT':
      if (Number.isSafeInteger(v)) return null;
      if (!Number.isInteger(v)) return `column ${column}: expected BIGINT, got ${shown()}`;
      return `column ${column}: ${shown()} is out of range for BIGINT (beyond ±2^53)`;
    default:
      return Number.isFinite(v) ? null : `column ${column}: expected ${type}, got ${shown()}`;
  }
}

/**
 * Parses a decimal number in bytes [s, e) straight into the unscaled integer at `scale`
 * (extra fraction digits round half away from zero), never through a double: `12.35` at
 * scale 2 is 1235. NaN when the bytes are not exactly one number.
 */
export function parseDecimalBytes(b: Uint8Array, s: number, e: number, scale: number): number {
  const sign = s < e ? b[s]! : -1;
  const neg = sign === CH_MINUS;
  let i = neg || sign === CH_PLUS ? s + 1 : s;
  let c = 0;
  let v = 0;
  let any = false;
  while (i < e && isDigit((c = b[i]!))) {
    v = v * 10 + (c - CH_0);
    any = true;
    i++;
  }
  let frac = 0;
  let up = false;
  if (i < e && b[i] === CH_DOT) {
    i++;
    while (i < e && isDigit((c = b[i]!))) {
      if (frac < scale) v = v * 10 + (c - CH_0);
      else if (frac === scale) up = c >= CH_0 + 5;
      frac++;
      any = true;
      i++;
    }
  }
  if (i < e && (b[i] === 101 || b[i] === 69)) return parseDecimal(latin1(b, s, e), scale); // an exponent: rare
  if (i !== e || !any) return NaN;
  for (; frac < scale; frac++) v *= 10;
  if (up) v += 1;
  return neg ? 0 - v : v;
}

/** Why an unscaled value parsed for a DECIMAL column is no value of it (null when it is). */
export function decimalProblem(v: number, type: DecimalType, column: string, shown: () => string): string | null {
  if (v !== v) return `column ${column}: expected ${type}, got ${shown()}`;
  return fitsDecimal(v, type) ? null : `column ${column}: ${shown()} is out of range for ${type}`;
}

/** Quotes a text value for a dead-letter reason, shortened so a huge field cannot flood the log. */
export function showText(text: string): string {
  const t = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return `'${t}'`;
}
