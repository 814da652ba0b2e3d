/**
 * The rest of the scalar function library: regular expressions, more text and math
 * functions, epoch conversions, timestamp formatting, date arithmetic, JSON on VARCHAR,
 * IF/IFNULL, MD5 and HASH. Each is typed and evaluated on single values here; the
 * expression compiler calls {@link evalMoreFunction} per row (these are not on the hot paths
 * the kernels specialize). Semantics follow DuckDB (Flink for DATE_FORMAT, TO_TIMESTAMP with
 * a pattern and TO_TIMESTAMP_LTZ, which DuckDB lacks), with these differences: a pattern,
 * unit or JSON text that is not valid gives NULL where DuckDB raises an error (a constant
 * one is refused when the query is bound, see {@link checkConstantArgs}); STRPTIME gives
 * NULL on text that does not match (DuckDB's TRY_STRPTIME); HASH is sluice's own stable hash.
 */
import { isDecimal } from '../decimal.js';
import { beats } from '../sql-order.js';
import { createHash } from 'node:crypto';
import { MS_PER_DAY, type SqlType, type Value } from '../types.js';
import { jsonExtract, jsonExtractString, compileJsonPath } from './json-functions.js';
import { compileJavaPattern, compileStrftime, formatWith, parseWith } from './time-format.js';

export type MoreFn =
  | 'regexp_extract'
  | 'regexp_matches'
  | 'regexp_replace'
  | 'split_part'
  | 'replace'
  | 'strpos'
  | 'starts_with'
  | 'ends_with'
  | 'contains'
  | 'left'
  | 'right'
  | 'reverse'
  | 'repeat'
  | 'lpad'
  | 'rpad'
  | 'greatest'
  | 'least'
  | 'sqrt'
  | 'power'
  | 'ln'
  | 'log10'
  | 'exp'
  | 'sign'
  | 'epoch_ms'
  | 'to_timestamp'
  | 'regexp_full_match'
  | 'date_format'
  | 'strftime'
  | 'strptime'
  | 'to_timestamp_text'
  | 'to_timestamp_ltz'
  | 'make_timestamp_ms'
  | 'epoch'
  | 'date_add'
  | 'date_diff'
  | 'if'
  | 'ifnull'
  | 'md5'
  | 'hash'
  | 'json_extract'
  | 'json_extract_string';

interface Signature {
  readonly fn: MoreFn;
  /** Argument types (the last repeats for variadic functions) and how many are optional. */
  readonly args: readonly SqlType[];
  readonly optional?: number;
  readonly variadic?: boolean;
  readonly result: SqlType | 'common';
  /** NULL in → NULL out (otherwise the function sees NULLs). */
  readonly strict: boolean;
}

const S: Record<string, Signature | readonly Signature[]> = {
  REGEXP_EXTRACT: { fn: 'regexp_extract', args: ['VARCHAR', 'VARCHAR', 'BIGINT'], optional: 1, result: 'VARCHAR', strict: true },
  REGEXP_MATCHES: { fn: 'regexp_matches', args: ['VARCHAR', 'VARCHAR'], result: 'BOOLEAN', strict: true },
  REGEXP_REPLACE: { fn: 'regexp_replace', args: ['VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR'], optional: 1, result: 'VARCHAR', strict: true },
  SPLIT_PART: { fn: 'split_part', args: ['VARCHAR', 'VARCHAR', 'BIGINT'], result: 'VARCHAR', strict: true },
  REPLACE: { fn: 'replace', args: ['VARCHAR', 'VARCHAR', 'VARCHAR'], result: 'VARCHAR', strict: true },
  STRPOS: { fn: 'strpos', args: ['VARCHAR', 'VARCHAR'], result: 'BIGINT', strict: true },
  POSITION: { fn: 'strpos', args: ['VARCHAR', 'VARCHAR'], result: 'BIGINT', strict: true },
  STARTS_WITH: { fn: 'starts_with', args: ['VARCHAR', 'VARCHAR'], result: 'BOOLEAN', strict: true },
  ENDS_WITH: { fn: 'ends_with', args: ['VARCHAR', 'VARCHAR'], result: 'BOOLEAN', strict: true },
  CONTAINS: { fn: 'contains', args: ['VARCHAR', 'VARCHAR'], result: 'BOOLEAN', strict: true },
  LEFT: { fn: 'left', args: ['VARCHAR', 'BIGINT'], result: 'VARCHAR', strict: true },
  RIGHT: { fn: 'right', args: ['VARCHAR', 'BIGINT'], result: 'VARCHAR', strict: true },
  REVERSE: { fn: 'reverse', args: ['VARCHAR'], result: 'VARCHAR', strict: true },
  REPEAT: { fn: 'repeat', args: ['VARCHAR', 'BIGINT'], result: 'VARCHAR', strict: true },
  LPAD: { fn: 'lpad', args: ['VARCHAR', 'BIGINT', 'VARCHAR'], result: 'VARCHAR', strict: true },
  RPAD: { fn: 'rpad', args: ['VARCHAR', 'BIGINT', 'VARCHAR'], result: 'VARCHAR', strict: true },
  GREATEST: { fn: 'greatest', args: [], variadic: true, result: 'common', strict: false },
  LEAST: { fn: 'least', args: [], variadic: true, result: 'common', strict: false },
  SQRT: { fn: 'sqrt', args: ['DOUBLE'], result: 'DOUBLE', strict: true },
  POWER: { fn: 'power', args: ['DOUBLE', 'DOUBLE'], result: 'DOUBLE', strict: true },
  POW: { fn: 'power', args: ['DOUBLE', 'DOUBLE'], result: 'DOUBLE', strict: true },
  LN: { fn: 'ln', args: ['DOUBLE'], result: 'DOUBLE', strict: true },
  LOG10: { fn: 'log10', args: ['DOUBLE'], result: 'DOUBLE', strict: true },
  EXP: { fn: 'exp', args: ['DOUBLE'], result: 'DOUBLE', strict: true },
  SIGN: { fn: 'sign', args: ['DOUBLE'], result: 'BIGINT', strict: true },
  EPOCH_MS: [
    { fn: 'epoch_ms', args: ['TIMESTAMP'], result: 'BIGINT', strict: true },
    { fn: 'make_timestamp_ms', args: ['BIGINT'], result: 'TIMESTAMP', strict: true },
  ],
  EPOCH: { fn: 'epoch', args: ['TIMESTAMP'], result: 'DOUBLE', strict: true },
  TO_TIMESTAMP: [
    { fn: 'to_timestamp', args: ['DOUBLE'], result: 'TIMESTAMP', strict: true },
    { fn: 'to_timestamp_text', args: ['VARCHAR', 'VARCHAR'], optional: 1, result: 'TIMESTAMP', strict: true },
  ],
  TO_TIMESTAMP_LTZ: { fn: 'to_timestamp_ltz', args: ['DOUBLE', 'INT'], result: 'TIMESTAMP', strict: true },
  REGEXP_FULL_MATCH: { fn: 'regexp_full_match', args: ['VARCHAR', 'VARCHAR'], result: 'BOOLEAN', strict: true },
  DATE_FORMAT: { fn: 'date_format', args: ['TIMESTAMP', 'VARCHAR'], result: 'VARCHAR', strict: true },
  STRFTIME: { fn: 'strftime', args: ['TIMESTAMP', 'VARCHAR'], result: 'VARCHAR', strict: true },
  STRPTIME: { fn: 'strptime', args: ['VARCHAR', 'VARCHAR'], result: 'TIMESTAMP', strict: true },
  DATE_ADD: { fn: 'date_add', args: ['TIMESTAMP', 'INTERVAL'], result: 'TIMESTAMP', strict: true },
  DATEDIFF: { fn: 'date_diff', args: ['VARCHAR', 'TIMESTAMP', 'TIMESTAMP'], result: 'BIGINT', strict: true },
  DATE_DIFF: { fn: 'date_diff', args: ['VARCHAR', 'TIMESTAMP', 'TIMESTAMP'], result: 'BIGINT', strict: true },
  MD5: { fn: 'md5', args: ['VARCHAR'], result: 'VARCHAR', strict: true },
  JSON_EXTRACT: [
    { fn: 'json_extract', args: ['VARCHAR', 'VARCHAR'], result: 'VARCHAR', strict: true },
    { fn: 'json_extract', args: ['VARCHAR', 'BIGINT'], result: 'VARCHAR', strict: true },
  ],
  JSON_EXTRACT_STRING: [
    { fn: 'json_extract_string', args: ['VARCHAR', 'VARCHAR'], result: 'VARCHAR', strict: true },
    { fn: 'json_extract_string', args: ['VARCHAR', 'BIGINT'], result: 'VARCHAR', strict: true },
  ],
  // Typed by hand in resolveMoreFunction (their argument types are not a fixed list).
  IF: { fn: 'if', args: [], result: 'common', strict: false },
  IFNULL: { fn: 'ifnull', args: [], result: 'common', strict: false },
  HASH: { fn: 'hash', args: [], variadic: true, result: 'BIGINT', strict: false },
};

export const MORE_FUNCTION_NAMES: readonly string[] = Object.keys(S);

const ALL_SIGNATURES: readonly Signature[] = Object.values(S).flatMap((s) => (Array.isArray(s) ? s : [s as Signature]));

const STRICT = new Set(ALL_SIGNATURES.filter((s) => s.strict).map((s) => s.fn));
const MORE_FNS = new Set<string>(ALL_SIGNATURES.map((s) => s.fn));

/** Whether NULL in any argument makes the result NULL. */
export function isStrict(fn: MoreFn): boolean {
  return STRICT.has(fn);
}

export function isMoreFn(fn: string): fn is MoreFn {
  return MORE_FNS.has(fn);
}

/**
 * Types a call; `accepts(from, to)` says whether an argument of type `from` may be cast to
 * `to`, `common` finds the common type of GREATEST/LEAST. Undefined when `name` is not here.
 */
export function resolveMoreFunction(
  name: string,
  args: readonly SqlType[],
  accepts: (from: SqlType, to: SqlType) => boolean,
  common: (types: readonly SqlType[]) => SqlType | undefined,
): { fn: MoreFn; type: SqlType; argTypes: SqlType[] } | string | undefined {
  const entry = S[name];
  if (!entry) return undefined;
  if (Array.isArray(entry)) {
    for (const sig of entry as readonly Signature[]) {
      const r = resolveSignature(name, sig, args, accepts, common);
      if (typeof r !== 'string') return r;
    }
    const shapes = (entry as readonly Signature[]).map((s) => `(${s.args.join(', ')})`).join(' or ');
    return `${name} expects ${shapes}, got (${args.join(', ')})`;
  }
  return resolveSignature(name, entry as Signature, args, accepts, common);
}

function resolveSignature(
  name: string,
  sig: Signature,
  args: readonly SqlType[],
  accepts: (from: SqlType, to: SqlType) => boolean,
  common: (types: readonly SqlType[]) => SqlType | undefined,
): { fn: MoreFn; type: SqlType; argTypes: SqlType[] } | string {
  if (sig.fn === 'hash') {
    if (args.length === 0) return `${name} takes at least one argument`;
    // A DECIMAL hashes as its number (HASH(1.0) = HASH(1)), not as its unscaled integer.
    return { fn: sig.fn, type: 'BIGINT', argTypes: args.map((t) => (isDecimal(t) ? 'DOUBLE' : t)) };
  }
  if (sig.fn === 'if') {
    if (args.length !== 3) return `${name} takes 3 arguments, got ${args.length}`;
    if (args[0] !== 'BOOLEAN' && args[0] !== 'NULL') return `${name} expects a BOOLEAN condition, got ${args[0]}`;
    const t = common(args.slice(1));
    if (t === undefined) return `${name} cannot combine ${args[1]} and ${args[2]}`;
    return { fn: sig.fn, type: t, argTypes: ['BOOLEAN', t, t] };
  }
  if (sig.fn === 'ifnull') {
    if (args.length !== 2) return `${name} takes 2 arguments, got ${args.length}`;
    const t = common(args);
    if (t === undefined) return `${name} cannot combine ${args[0]} and ${args[1]}`;
    return { fn: sig.fn, type: t, argTypes: [t, t] };
  }
  if (sig.variadic) {
    if (args.length === 0) return `${name} takes at least one argument`;
    const t = common(args);
    if (t === undefined) return `${name} cannot compare ${args.join(', ')}`;
    return { fn: sig.fn, type: t === 'NULL' ? 'NULL' : t, argTypes: args.map(() => t) };
  }
  const min = sig.args.length - (sig.optional ?? 0);
  if (args.length < min || args.length > sig.args.length) {
    const n = min === sig.args.length ? `${min}` : `${min} to ${sig.args.length}`;
    return `${name} takes ${n} argument${sig.args.length === 1 ? '' : 's'}, got ${args.length}`;
  }
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== 'NULL' && !accepts(args[i]!, sig.args[i]!)) {
      return `${name} expects ${sig.args.slice(0, args.length).join(', ')}, got ${args.join(', ')}`;
    }
  }
  return { fn: sig.fn, type: sig.result as SqlType, argTypes: sig.args.slice(0, args.length) as SqlType[] };
}

const regexCache = new Map<string, RegExp | null>();

function regex(pattern: string, flags = ''): RegExp | null {
  const key = `${flags}/${pattern}`;
  let r = regexCache.get(key);
  if (r === undefined) {
    try {
      r = new RegExp(pattern, flags);
    } catch {
      r = null; // a bad pattern gives NULL rather than stopping the stream
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(key, r);
  }
  return r;
}

function chars(s: string): string[] {
  return Array.from(s);
}

function pad(s: string, n: number, fill: string, left: boolean): string {
  const c = chars(s);
  if (n <= c.length) return c.slice(0, Math.max(0, n)).join('');
  if (fill === '') return s;
  const f = chars(fill);
  const out: string[] = [];
  for (let i = 0; out.length < n - c.length; i++) out.push(f[i % f.length]!);
  return left ? out.join('') + s : s + out.join('');
}

/** Evaluates one call on single values (NULL handling per isStrict). */
export function evalMoreFunction(fn: MoreFn, a: readonly Value[]): Value {
  if (isStrict(fn) && a.some((x) => x === null)) return null;
  const s = a[0] as string;
  switch (fn) {
    case 'regexp_extract': {
      const m = regex(a[1] as string)?.exec(s);
      if (m === undefined) return null;
      return m === null ? '' : (m[(a[2] as number | undefined) ?? 0] ?? '');
    }
    case 'regexp_matches': {
      const r = regex(a[1] as string);
      return r === null ? null : r.test(s);
    }
    case 'regexp_replace': {
      const global = typeof a[3] === 'string' && a[3].includes('g');
      const r = regex(a[1] as string, global ? 'g' : '');
      return r === null ? null : s.replace(r, (a[2] as string).replace(/\\(\d)/g, '$$$1'));
    }
    case 'split_part': {
      const parts = (a[1] as string) === '' ? [s] : s.split(a[1] as string);
      const n = a[2] as number;
      const i = n > 0 ? n - 1 : parts.length + n;
      return parts[i] ?? '';
    }
    case 'replace':
      return (a[1] as string) === '' ? s : s.split(a[1] as string).join(a[2] as string);
    case 'strpos': {
      const at = s.indexOf(a[1] as string);
      return at < 0 ? 0 : chars(s.slice(0, at)).length + 1;
    }
    case 'starts_with':
      return s.startsWith(a[1] as string);
    case 'ends_with':
      return s.endsWith(a[1] as string);
    case 'contains':
      return s.includes(a[1] as string);
    case 'left': {
      const n = a[1] as number;
      const c = chars(s);
      return (n >= 0 ? c.slice(0, n) : c.slice(0, Math.max(0, c.length + n))).join('');
    }
    case 'right': {
      const n = a[1] as number;
      const c = chars(s);
      return (n >= 0 ? c.slice(Math.max(0, c.length - n)) : c.slice(Math.min(c.length, -n))).join('');
    }
    case 'reverse':
      return chars(s).reverse().join('');
    case 'repeat':
      return (a[1] as number) > 0 ? s.repeat(a[1] as number) : '';
    case 'lpad':
      return pad(s, a[1] as number, a[2] as string, true);
    case 'rpad':
      return pad(s, a[1] as number, a[2] as string, false);
    case 'greatest':
    case 'least': {
      let best: Value = null;
      for (const x of a) if (x !== null && (best === null || beats(x, best, fn === 'greatest'))) best = x;
      return best;
    }
    case 'sqrt':
      return (a[0] as number) < 0 ? null : Math.sqrt(a[0] as number);
    case 'power':
      return Math.pow(a[0] as number, a[1] as number);
    case 'ln':
      return (a[0] as number) <= 0 ? null : Math.log(a[0] as number);
    case 'log10':
      return (a[0] as number) <= 0 ? null : Math.log10(a[0] as number);
    case 'exp':
      return Math.exp(a[0] as number);
    case 'sign':
      return Math.sign(a[0] as number) + 0;
    case 'epoch_ms':
      return a[0] as number;
    case 'to_timestamp':
      return Math.round((a[0] as number) * 1000);
    case 'regexp_full_match': {
      const r = fullMatchRegex(a[1] as string);
      return r === null ? null : r.test(s);
    }
    case 'date_format':
    case 'strftime': {
      const parts = fn === 'date_format' ? compileJavaPattern(a[1] as string) : compileStrftime(a[1] as string);
      return typeof parts === 'string' ? null : formatWith(parts, a[0] as number);
    }
    case 'strptime':
    case 'to_timestamp_text': {
      const parts = fn === 'strptime' ? compileStrftime(a[1] as string) : compileJavaPattern((a[1] as string | undefined) ?? DEFAULT_JAVA_PATTERN);
      return typeof parts === 'string' ? null : parseWith(parts, s);
    }
    case 'to_timestamp_ltz': {
      const p = a[1] as number;
      return p === 0 ? Math.round((a[0] as number) * 1000) : p === 3 ? Math.round(a[0] as number) : null;
    }
    case 'make_timestamp_ms':
      return a[0] as number;
    case 'epoch':
      return (a[0] as number) / 1000;
    case 'date_add':
      return (a[0] as number) + (a[1] as number);
    case 'date_diff':
      return dateDiff(s, a[1] as number, a[2] as number);
    case 'if':
      return a[0] === true ? a[1]! : a[2]!;
    case 'ifnull':
      return a[0] !== null ? a[0]! : a[1]!;
    case 'md5':
      return createHash('md5').update(s, 'utf8').digest('hex');
    case 'hash':
      return hashValues(a);
    case 'json_extract':
      return jsonExtract(s, a[1] as string | number);
    case 'json_extract_string':
      return jsonExtractString(s, a[1] as string | number);
  }
}

/** Flink's TO_TIMESTAMP(text) without a pattern. */
const DEFAULT_JAVA_PATTERN = 'yyyy-MM-dd HH:mm:ss';

/** SIMILAR TO is a regular expression that must match the whole text, as in DuckDB. */
function fullMatchRegex(pattern: string): RegExp | null {
  // The u flag makes `.` one code point, as RE2 in DuckDB; patterns it rejects fall back.
  return regex(`^(?:${pattern})$`, 'u') ?? regex(`^(?:${pattern})$`);
}

const DIFF_UNITS: Record<string, number | 'week' | 'month' | 'quarter' | 'year'> = {
  millisecond: 1,
  milliseconds: 1,
  ms: 1,
  second: 1000,
  seconds: 1000,
  s: 1000,
  minute: 60_000,
  minutes: 60_000,
  m: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  h: 3_600_000,
  day: MS_PER_DAY,
  days: MS_PER_DAY,
  d: MS_PER_DAY,
  week: 'week',
  weeks: 'week',
  month: 'month',
  months: 'month',
  quarter: 'quarter',
  quarters: 'quarter',
  year: 'year',
  years: 'year',
};

function yearMonth(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/**
 * DATEDIFF(unit, a, b): how many unit boundaries lie between a and b (DuckDB's date_diff:
 * `datediff('hour', '10:59', '11:00')` is 1); weeks count whole 7-day spans of the days.
 */
function dateDiff(unit: string, a: number, b: number): number | null {
  const u = DIFF_UNITS[unit.toLowerCase()];
  if (u === undefined) return null;
  if (typeof u === 'number') return Math.floor(b / u) - Math.floor(a / u);
  if (u === 'week') return Math.trunc((Math.floor(b / MS_PER_DAY) - Math.floor(a / MS_PER_DAY)) / 7);
  const months = yearMonth(b) - yearMonth(a);
  if (u === 'month') return months;
  const ya = Math.floor(yearMonth(a) / 12);
  const yb = Math.floor(yearMonth(b) / 12);
  if (u === 'year') return yb - ya;
  return yb * 4 + Math.floor((yearMonth(b) % 12) / 3) - (ya * 4 + Math.floor((yearMonth(a) % 12) / 3));
}

/**
 * sluice's HASH: cyrb53 (a public-domain 53-bit string hash) over a canonical text of the
 * values, so the result is a BIGINT within ±2^53 that is the same on every run and machine.
 * Equal numbers hash equal whatever their numeric type; NULL hashes to a fixed value.
 * **Difference**: DuckDB's hash is a different (unsigned 64-bit) function.
 */
function hashValues(values: readonly Value[]): number {
  let text = '';
  for (const v of values) text += v === null ? '\u0001' : `${typeof v === 'number' ? 'n' : typeof v === 'boolean' ? 'b' : 's'}${String(v)}\u0000`;
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * Checks the arguments of a call that are constants (undefined: not a constant) and returns
 * why the call can never work — an unknown DATEDIFF unit, a format code DATE_FORMAT or
 * STRFTIME does not know, a TO_TIMESTAMP_LTZ precision other than 0 or 3, a JSON path sluice
 * cannot follow — or undefined. The binder refuses such a call up front rather than give NULL
 * for every row.
 */
export function checkConstantArgs(fn: MoreFn, args: readonly (Value | undefined)[]): string | undefined {
  const c = args[1];
  switch (fn) {
    case 'date_format':
    case 'to_timestamp_text':
    case 'strftime':
    case 'strptime': {
      if (typeof c !== 'string') return undefined;
      const r = fn === 'strftime' || fn === 'strptime' ? compileStrftime(c) : compileJavaPattern(c);
      return typeof r === 'string' ? `${fn.toUpperCase().replace('_TEXT', '')}: ${r}` : undefined;
    }
    case 'date_diff':
      return typeof args[0] === 'string' && DIFF_UNITS[args[0].toLowerCase()] === undefined
        ? `DATEDIFF: unknown unit '${args[0]}' (millisecond, second, minute, hour, day, week, month, quarter or year)`
        : undefined;
    case 'to_timestamp_ltz':
      return typeof c === 'number' && c !== 0 && c !== 3 ? `TO_TIMESTAMP_LTZ: precision must be 0 (seconds) or 3 (milliseconds), got ${c}` : undefined;
    case 'json_extract':
    case 'json_extract_string':
      return typeof c === 'string' && compileJsonPath(c) === null ? `${fn.toUpperCase()}: unsupported JSON path '${c}'` : undefined;
    default:
      return undefined;
  }
}
