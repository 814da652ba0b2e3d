/**
 * The scalar function catalog: how each SQL function or operator is typed and what it
 * computes on single values. The binder types calls with {@link resolveFunction}; constant
 * folding and the executor's slow paths evaluate with {@link evalScalar}; the expression
 * compiler (src/exec/expr) generates tight loops for the hot ones with the same semantics.
 *
 * The time and text conversions (timestamp parsing and printing, EXTRACT fields,
 * DATE_TRUNC units) live here too, so that plan-time folding and the executor share one
 * implementation. Every conversion is allocation-free on numbers and never throws on data:
 * text that does not parse gives null.
 *
 * Where sluice knowingly differs from DuckDB 1.5 (the test oracle), the brief of the
 * function says so: x / 0 is NULL (DuckDB: ±inf/NaN), DOUBLE → integer casts round half
 * away from zero (DuckDB: half to even), EXTRACT(SECOND) keeps the fraction (DuckDB: whole
 * seconds), a `+hh:mm` offset in timestamp text is applied (DuckDB ignores it for
 * TIMESTAMP), and an INTERVAL is one count of milliseconds, so it prints as days and a
 * time (`1 day 12:00:00` where DuckDB keeps `36:00:00`).
 */
import { evalMoreFunction, isMoreFn, resolveMoreFunction } from './more-functions.js';
import type { ScalarFn } from './expr.js';
import { isIntegral, isNumeric, MS_PER_DAY, type SqlType, type Value } from '../types.js';
import {
  asDecimal,
  checkDecimal,
  decimalCommonType,
  decimalProductType,
  decimalSumType,
  decimalToNumber,
  divCeil,
  divFloor,
  divRound,
  fitsDecimal,
  formatDecimal,
  isDecimal,
  numberToDecimal,
  overflowError,
  parseDecimal,
  pow10,
  precisionOf,
  rescale,
  scaleOf,
  scaleOrZero,
  type DecimalType,
} from '../decimal.js';

/** The outcome of typing a call: the function, its result type, and the type each argument must be cast to. */
export interface ResolvedFunction {
  readonly fn: ScalarFn;
  readonly type: SqlType;
  readonly argTypes: readonly SqlType[];
}

// ---------------------------------------------------------------------------------------
// Typing
// ---------------------------------------------------------------------------------------

const NUMERIC_RANK: Partial<Record<SqlType, number>> = { INT: 0, BIGINT: 1, DOUBLE: 2 };

/** Whether an argument of type `from` may be passed where `to` is expected (implicit cast). */
function implicitlyCastable(from: SqlType, to: SqlType): boolean {
  return from === to || (isNumeric(from) && isNumeric(to)) || (from === 'DATE' && to === 'TIMESTAMP');
}

/** The common type two values can be compared or combined in (for =, IN, CASE, COALESCE, UNION), or undefined. */
export function commonType(a: SqlType, b: SqlType): SqlType | undefined {
  if (a === b) return a;
  if (a === 'NULL') return b;
  if (b === 'NULL') return a;
  if (isNumeric(a) && isNumeric(b)) {
    if (a === 'DOUBLE' || b === 'DOUBLE') return 'DOUBLE';
    if (isDecimal(a) || isDecimal(b)) return decimalCommonType(asDecimal(a)!, asDecimal(b)!);
    return NUMERIC_RANK[a]! >= NUMERIC_RANK[b]! ? a : b;
  }
  if ((a === 'DATE' && b === 'TIMESTAMP') || (a === 'TIMESTAMP' && b === 'DATE')) return 'TIMESTAMP';
  // Text meets a temporal value when a string literal or column is compared with a time:
  // the text side is parsed, as DuckDB does for literals.
  if (a === 'VARCHAR' && (b === 'TIMESTAMP' || b === 'DATE' || b === 'INTERVAL')) return b;
  if (b === 'VARCHAR' && (a === 'TIMESTAMP' || a === 'DATE' || a === 'INTERVAL')) return a;
  return undefined;
}

/** The common type of a list (IN, COALESCE, CASE branches); NULL when every item is NULL. */
export function commonTypeOf(types: readonly SqlType[]): SqlType | undefined {
  let t: SqlType = 'NULL';
  for (const x of types) {
    const c = commonType(t, x);
    if (c === undefined) return undefined;
    t = c;
  }
  return t;
}

/** True when CAST(x AS `to`) is defined for x of type `from`. */
export function canCast(from: SqlType, to: SqlType): boolean {
  if (from === to || from === 'NULL' || to === 'VARCHAR' || from === 'VARCHAR') return true;
  const numA = isNumeric(from) || from === 'BOOLEAN';
  const numB = isNumeric(to) || to === 'BOOLEAN';
  if (numA && numB) return true;
  return (from === 'TIMESTAMP' && to === 'DATE') || (from === 'DATE' && to === 'TIMESTAMP');
}

/**
 * The result type of EXTRACT for a field (EPOCH and SECOND give DOUBLE, the others BIGINT),
 * or undefined for an unknown field. {@link resolveFunction} cannot see the field literal and
 * types EXTRACT as DOUBLE; a binder that knows the field refines the type with this.
 */
export function extractResultType(field: string): SqlType | undefined {
  const f = field.toLowerCase();
  if (!(f in EXTRACT_FIELDS)) return undefined;
  return f === 'epoch' ? 'DOUBLE' : 'BIGINT';
}

const OP_SYMBOL: Partial<Record<ScalarFn, string>> = {
  add: '+',
  sub: '-',
  mul: '*',
  div: '/',
  mod: '%',
  eq: '=',
  ne: '<>',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
  is_distinct: 'IS DISTINCT FROM',
  is_not_distinct: 'IS NOT DISTINCT FROM',
  concat_op: '||',
};

type Resolution = ResolvedFunction | string;

function ok(fn: ScalarFn, type: SqlType, argTypes: readonly SqlType[]): ResolvedFunction {
  return { fn, type, argTypes };
}

function arity(label: string, args: readonly SqlType[], min: number, max: number): string | undefined {
  if (args.length >= min && args.length <= max) return undefined;
  const want =
    min === max
      ? `${min} argument${min === 1 ? '' : 's'}`
      : max === Infinity
        ? `at least ${min} argument${min === 1 ? '' : 's'}`
        : `${min} or ${max} arguments`;
  return `${label} takes ${want}, got ${args.length}`;
}

function typeList(ts: readonly SqlType[]): string {
  if (ts.length <= 1) return ts.join('');
  return `${ts.slice(0, -1).join(', ')} and ${ts[ts.length - 1]}`;
}

/** Arithmetic type of two numbers: INT op INT widens to BIGINT, anything with DOUBLE is DOUBLE. */
function numericResult(a: SqlType, b: SqlType): SqlType {
  return a === 'DOUBLE' || b === 'DOUBLE' ? 'DOUBLE' : 'BIGINT';
}

/**
 * Arithmetic with a DECIMAL operand (and no DOUBLE), as DuckDB types it. `+ - %` compute on
 * operands rescaled to the result's scale, `*` on the operands as they are (the scales add
 * up), `/` in DOUBLE.
 */
function decimalArithmetic(fn: 'add' | 'sub' | 'mul' | 'div' | 'mod', a0: SqlType, b0: SqlType): ResolvedFunction {
  const a = asDecimal(a0)!;
  const b = asDecimal(b0)!;
  if (fn === 'div') return ok(fn, 'DOUBLE', ['DOUBLE', 'DOUBLE']);
  if (fn === 'mul') return ok(fn, decimalProductType(a, b), [a, b]);
  const t = fn === 'mod' ? decimalCommonType(a, b) : decimalSumType(a, b);
  const s = scaleOf(t);
  const widened = (x: DecimalType): SqlType => decimalCommonType(x, `DECIMAL(${s},${s})`);
  return ok(fn, t, [widened(a), widened(b)]);
}

function resolveArithmetic(fn: 'add' | 'sub' | 'mul' | 'div' | 'mod', a0: SqlType, b0: SqlType): Resolution {
  let a = a0;
  let b = b0;
  // An untyped NULL takes the type that makes the call meaningful beside the other side.
  if (a === 'NULL' && b === 'NULL') a = b = 'INT';
  else if (a === 'NULL') a = b === 'TIMESTAMP' || b === 'DATE' ? (fn === 'sub' ? b : 'INTERVAL') : b;
  else if (b === 'NULL') b = a === 'TIMESTAMP' ? 'INTERVAL' : a === 'DATE' ? 'INT' : a === 'INTERVAL' && (fn === 'mul' || fn === 'div') ? 'DOUBLE' : a;
  if (isNumeric(a) && isNumeric(b)) {
    if ((isDecimal(a) || isDecimal(b)) && a !== 'DOUBLE' && b !== 'DOUBLE') return decimalArithmetic(fn, a, b);
    const t = fn === 'div' ? 'DOUBLE' : numericResult(a, b);
    return ok(fn, t, [t, t]);
  }
  const fail = `cannot apply ${OP_SYMBOL[fn]} to ${a0} and ${b0}`;
  switch (fn) {
    case 'add':
      if (a === 'TIMESTAMP' && b === 'INTERVAL') return ok(fn, 'TIMESTAMP', [a, b]);
      if (a === 'INTERVAL' && b === 'TIMESTAMP') return ok(fn, 'TIMESTAMP', [a, b]);
      if (a === 'DATE' && b === 'INTERVAL') return ok(fn, 'TIMESTAMP', ['TIMESTAMP', b]);
      if (a === 'INTERVAL' && b === 'DATE') return ok(fn, 'TIMESTAMP', [a, 'TIMESTAMP']);
      if (a === 'DATE' && isIntegral(b)) return ok(fn, 'DATE', [a, b]);
      if (isIntegral(a) && b === 'DATE') return ok(fn, 'DATE', [a, b]);
      if (a === 'INTERVAL' && b === 'INTERVAL') return ok(fn, 'INTERVAL', [a, b]);
      return fail;
    case 'sub':
      if (a === 'TIMESTAMP' && b === 'INTERVAL') return ok(fn, 'TIMESTAMP', [a, b]);
      if (a === 'DATE' && b === 'INTERVAL') return ok(fn, 'TIMESTAMP', ['TIMESTAMP', b]);
      if ((a === 'TIMESTAMP' || a === 'DATE') && (b === 'TIMESTAMP' || b === 'DATE')) {
        if (a === 'DATE' && b === 'DATE') return ok(fn, 'BIGINT', [a, b]);
        return ok(fn, 'INTERVAL', ['TIMESTAMP', 'TIMESTAMP']);
      }
      if (a === 'DATE' && isIntegral(b)) return ok(fn, 'DATE', [a, b]);
      if (a === 'INTERVAL' && b === 'INTERVAL') return ok(fn, 'INTERVAL', [a, b]);
      return fail;
    case 'mul':
      if (a === 'INTERVAL' && isNumeric(b)) return ok(fn, 'INTERVAL', [a, isDecimal(b) ? 'DOUBLE' : b]);
      if (isNumeric(a) && b === 'INTERVAL') return ok(fn, 'INTERVAL', [isDecimal(a) ? 'DOUBLE' : a, b]);
      return fail;
    case 'div':
      if (a === 'INTERVAL' && isNumeric(b)) return ok(fn, 'INTERVAL', [a, isDecimal(b) ? 'DOUBLE' : b]);
      return fail;
    case 'mod':
      return fail;
  }
}

function resolveOperator(fn: ScalarFn, args: readonly SqlType[]): Resolution | undefined {
  switch (fn) {
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'mod': {
      if (fn === 'sub' && args.length === 1) return resolveOperator('neg', args);
      const bad = arity(OP_SYMBOL[fn]!, args, 2, 2);
      return bad ?? resolveArithmetic(fn, args[0]!, args[1]!);
    }
    case 'neg': {
      const bad = arity('unary -', args, 1, 1);
      if (bad) return bad;
      const a = args[0]!;
      if (a === 'NULL') return ok(fn, 'INT', ['INT']);
      if (isNumeric(a) || a === 'INTERVAL') return ok(fn, a, [a]);
      return `cannot apply unary - to ${a}`;
    }
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
    case 'is_distinct':
    case 'is_not_distinct': {
      const bad = arity(OP_SYMBOL[fn]!, args, 2, 2);
      if (bad) return bad;
      const t = commonType(args[0]!, args[1]!);
      if (t === undefined) return `cannot apply ${OP_SYMBOL[fn]} to ${args[0]} and ${args[1]}`;
      return ok(fn, 'BOOLEAN', [t, t]);
    }
    case 'and':
    case 'or': {
      const label = fn.toUpperCase();
      const bad = arity(label, args, 2, Infinity);
      if (bad) return bad;
      if (args.some((t) => t !== 'BOOLEAN' && t !== 'NULL')) return `${label} expects BOOLEAN arguments, got ${typeList(args)}`;
      return ok(fn, 'BOOLEAN', args.map(() => 'BOOLEAN'));
    }
    case 'not': {
      const bad = arity('NOT', args, 1, 1);
      if (bad) return bad;
      if (args[0] !== 'BOOLEAN' && args[0] !== 'NULL') return `NOT expects a BOOLEAN argument, got ${args[0]}`;
      return ok(fn, 'BOOLEAN', ['BOOLEAN']);
    }
    case 'is_null':
    case 'is_not_null': {
      const bad = arity(fn === 'is_null' ? 'IS NULL' : 'IS NOT NULL', args, 1, 1);
      return bad ?? ok(fn, 'BOOLEAN', [args[0]!]);
    }
    case 'in': {
      const bad = arity('IN', args, 2, Infinity);
      if (bad) return bad;
      const t = commonTypeOf(args);
      if (t === undefined) return `cannot compare ${args[0]} with ${typeList([...new Set(args.slice(1))])} in IN`;
      return ok(fn, 'BOOLEAN', args.map(() => t));
    }
    case 'like': {
      const bad = arity('LIKE', args, 2, 2);
      if (bad) return bad;
      if (args.some((t) => t !== 'VARCHAR' && t !== 'NULL')) return `LIKE expects VARCHAR arguments, got ${typeList(args)}`;
      return ok(fn, 'BOOLEAN', ['VARCHAR', 'VARCHAR']);
    }
    case 'concat_op': {
      const bad = arity('||', args, 2, Infinity);
      return bad ?? ok(fn, 'VARCHAR', args.map(() => 'VARCHAR'));
    }
    default:
      return undefined;
  }
}

const VARCHAR_FNS: Partial<Record<string, ScalarFn>> = {
  LOWER: 'lower',
  UPPER: 'upper',
  TRIM: 'trim',
  LTRIM: 'ltrim',
  RTRIM: 'rtrim',
};

function resolveSqlFunction(name: string, args: readonly SqlType[]): Resolution | undefined {
  const textFn = VARCHAR_FNS[name];
  if (textFn !== undefined) {
    const trims = textFn !== 'lower' && textFn !== 'upper';
    const bad = arity(name, args, 1, trims ? 2 : 1);
    if (bad) return bad;
    if (args.some((t) => t !== 'VARCHAR' && t !== 'NULL')) {
      return args.length === 1 ? `${name} expects a VARCHAR argument, got ${args[0]}` : `${name} expects VARCHAR arguments, got ${typeList(args)}`;
    }
    return ok(textFn, 'VARCHAR', args.map(() => 'VARCHAR'));
  }
  switch (name) {
    case 'LENGTH':
    case 'LEN':
    case 'CHAR_LENGTH':
    case 'CHARACTER_LENGTH': {
      const bad = arity(name, args, 1, 1);
      if (bad) return bad;
      if (args[0] !== 'VARCHAR' && args[0] !== 'NULL') return `${name} expects a VARCHAR argument, got ${args[0]}`;
      return ok('length', 'BIGINT', ['VARCHAR']);
    }
    case 'SUBSTRING':
    case 'SUBSTR': {
      const bad = arity(name, args, 2, 3);
      if (bad) return bad;
      if (args[0] !== 'VARCHAR' && args[0] !== 'NULL') return `${name} expects a VARCHAR first argument, got ${args[0]}`;
      const pos = args.slice(1);
      if (pos.some((t) => !isNumeric(t) && t !== 'NULL')) return `${name} expects integer positions, got ${typeList(pos)}`;
      return ok('substring', 'VARCHAR', ['VARCHAR', ...pos.map((): SqlType => 'BIGINT')]);
    }
    case 'CONCAT': {
      const bad = arity(name, args, 1, Infinity);
      return bad ?? ok('concat', 'VARCHAR', args.map(() => 'VARCHAR'));
    }
    case 'ABS':
    case 'FLOOR':
    case 'CEIL':
    case 'CEILING': {
      const fn: ScalarFn = name === 'ABS' ? 'abs' : name === 'FLOOR' ? 'floor' : 'ceil';
      const bad = arity(name, args, 1, 1);
      if (bad) return bad;
      const a = args[0]! === 'NULL' ? 'BIGINT' : args[0]!;
      if (!isNumeric(a)) return `${name} expects a numeric argument, got ${args[0]}`;
      // DuckDB: FLOOR and CEIL of DECIMAL(p,s) are DECIMAL(p,0).
      if (fn !== 'abs' && isDecimal(a)) return ok(fn, `DECIMAL(${precisionOf(a)},0)`, [a]);
      return ok(fn, a, [a]);
    }
    case 'ROUND': {
      const bad = arity(name, args, 1, 2);
      if (bad) return bad;
      const a = args[0]! === 'NULL' ? 'DOUBLE' : args[0]!;
      if (!isNumeric(a)) return `ROUND expects a numeric argument, got ${args[0]}`;
      // DECIMAL: ROUND(d) is DECIMAL(p,0); with digits the binder narrows the scale when they
      // are a constant (decimalRoundType), else the scale stays and the value is rounded in it.
      if (args.length === 1) return ok('round', isDecimal(a) ? `DECIMAL(${precisionOf(a)},0)` : a, [a]);
      if (!isIntegral(args[1]!) && args[1] !== 'NULL') return `ROUND expects an integer number of digits, got ${args[1]}`;
      return ok('round', a, [a, 'INT']);
    }
    case 'COALESCE': {
      const bad = arity(name, args, 1, Infinity);
      if (bad) return bad;
      const t = commonTypeOf(args);
      if (t === undefined) return `COALESCE cannot combine ${typeList([...new Set(args)])}`;
      return ok('coalesce', t, args.map(() => t));
    }
    case 'NULLIF': {
      const bad = arity(name, args, 2, 2);
      if (bad) return bad;
      const t = commonType(args[0]!, args[1]!);
      if (t === undefined) return `NULLIF cannot compare ${args[0]} and ${args[1]}`;
      // DuckDB types NULLIF as its first argument. The comparison runs on the common type;
      // the result keeps the first argument's type when its values read the same in both.
      const a = args[0]!;
      const same = a === t || (isDecimal(a) && isDecimal(t) && scaleOf(a) === scaleOf(t));
      return ok('nullif', same ? a : t, [t, t]);
    }
    case 'DATE_TRUNC': {
      const bad = arity(name, args, 2, 2);
      if (bad) return bad;
      const [u, x] = args as [SqlType, SqlType];
      if (u !== 'VARCHAR' || (x !== 'TIMESTAMP' && x !== 'DATE' && x !== 'NULL')) {
        return `DATE_TRUNC expects a unit name and a TIMESTAMP, got ${typeList(args)}`;
      }
      return ok('date_trunc', 'TIMESTAMP', ['VARCHAR', 'TIMESTAMP']);
    }
    case 'EXTRACT':
    case 'DATE_PART': {
      const bad = arity(name, args, 2, 2);
      if (bad) return bad;
      const [f, x] = args as [SqlType, SqlType];
      if (f !== 'VARCHAR' || (x !== 'TIMESTAMP' && x !== 'DATE' && x !== 'INTERVAL' && x !== 'NULL')) {
        return `${name} expects a field name and a TIMESTAMP, DATE or INTERVAL, got ${typeList(args)}`;
      }
      return ok('extract', 'DOUBLE', ['VARCHAR', x === 'INTERVAL' ? 'INTERVAL' : 'TIMESTAMP']);
    }
    default:
      return resolveMoreFunction(name, args, implicitlyCastable, commonTypeOf);
  }
}

/**
 * Types a call of the SQL function `name` (upper case: 'LOWER', 'ROUND', 'COALESCE', …) or of
 * an operator given as its ScalarFn name ('add', 'eq', 'concat_op', …) over arguments of
 * `argTypes`. Returns a one-line reason (naming the function and the types) when no
 * signature fits, or `undefined` when `name` is not a scalar function at all.
 *
 * EXTRACT is typed DOUBLE whatever the field, since the field literal is not visible here;
 * see {@link extractResultType}.
 *
 * @example resolveFunction('add', ['INT', 'INT']) // { fn: 'add', type: 'BIGINT', argTypes: ['BIGINT', 'BIGINT'] }
 */
export function resolveFunction(name: string, argTypes: readonly SqlType[]): ResolvedFunction | string | undefined {
  const op = resolveOperator(name as ScalarFn, argTypes);
  if (op !== undefined) return op;
  return resolveSqlFunction(name.toUpperCase(), argTypes);
}

// ---------------------------------------------------------------------------------------
// Calendar arithmetic (UTC, proleptic Gregorian, allocation-free)
// ---------------------------------------------------------------------------------------

const MS_PER_HOUR = 3_600_000;
const MS_PER_MINUTE = 60_000;

/** Days since 1970-01-01 of a civil date (month 1-12), for any year. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

// Scratch for civilFromDays: three numbers returned without allocating.
let civilY = 1970;
let civilM = 1;
let civilD = 1;

function civilFromDays(z: number): void {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  civilD = doy - Math.floor((153 * mp + 2) / 5) + 1;
  civilM = mp < 10 ? mp + 3 : mp - 9;
  civilY = yoe + era * 400 + (civilM <= 2 ? 1 : 0);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m - 1]!;
}

function floorMod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}

/** ISO weekday, Monday = 1 … Sunday = 7, of a day number (1970-01-01 was a Thursday). */
function isoDow(days: number): number {
  return floorMod(days + 3, 7) + 1;
}

function isoWeekOf(days: number): number {
  const thursday = days - isoDow(days) + 4;
  civilFromDays(thursday);
  const jan1 = daysFromCivil(civilY, 1, 1);
  return Math.floor((thursday - jan1) / 7) + 1;
}

function isoYearOf(days: number): number {
  civilFromDays(days - isoDow(days) + 4);
  return civilY;
}

// ---------------------------------------------------------------------------------------
// Text ↔ time
// ---------------------------------------------------------------------------------------

// Cursor of the hand-written parsers (module state instead of a per-call object).
let pText = '';
let pPos = 0;

function pDigits(min: number, max: number): number {
  let v = 0;
  let k = 0;
  while (k < max && pPos < pText.length) {
    const c = pText.charCodeAt(pPos) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    pPos++;
    k++;
  }
  return k < min ? -1 : v;
}

function pChar(c: number): boolean {
  if (pText.charCodeAt(pPos) === c) {
    pPos++;
    return true;
  }
  return false;
}

function pSpaces(): void {
  while (pText.charCodeAt(pPos) === 32) pPos++;
}

/** Parses `YYYY-MM-DD` at the cursor into days, or NaN. */
function pDate(): number {
  const y = pDigits(1, 6);
  if (y < 0 || !pChar(45 /* - */)) return NaN;
  const m = pDigits(1, 2);
  if (m < 1 || m > 12 || !pChar(45)) return NaN;
  const d = pDigits(1, 2);
  if (d < 1 || d > daysInMonth(y, m)) return NaN;
  return daysFromCivil(y, m, d);
}

/**
 * Parses timestamp text into UTC epoch ms: `2024-01-01 00:00:00`, `2024-01-01T00:00:00.123Z`,
 * `2024-01-01 00:00:00.5`, date-only `2024-01-01`, seconds optional, with an optional `Z` or
 * `±hh[:mm]` offset that is applied. Digits beyond milliseconds are truncated. Null when the
 * text is not a valid timestamp.
 */
export function parseTimestamp(text: string): number | null {
  pText = text;
  pPos = 0;
  pSpaces();
  const days = pDate();
  if (Number.isNaN(days)) return null;
  let ms = days * MS_PER_DAY;
  const sep = text.charCodeAt(pPos);
  if (sep === 84 /* T */ || sep === 116 /* t */ || sep === 32) {
    pPos++;
    pSpaces();
    if (pPos < text.length) {
      const h = pDigits(1, 2);
      if (h < 0 || h > 24 || !pChar(58 /* : */)) return null;
      const mi = pDigits(2, 2);
      if (mi < 0 || mi > 59) return null;
      let s = 0;
      let frac = 0;
      if (pChar(58)) {
        s = pDigits(2, 2);
        if (s < 0 || s > 59) return null;
        if (pChar(46 /* . */)) {
          let scale = 100;
          let k = 0;
          while (pPos < text.length) {
            const c = text.charCodeAt(pPos) - 48;
            if (c < 0 || c > 9) break;
            frac += c * scale;
            scale /= 10;
            pPos++;
            k++;
          }
          if (k === 0) return null;
          frac = Math.floor(frac);
        }
      }
      if (h === 24 && (mi !== 0 || s !== 0 || frac !== 0)) return null;
      ms += h * MS_PER_HOUR + mi * MS_PER_MINUTE + s * 1000 + frac;
      pSpaces();
      const z = text.charCodeAt(pPos);
      if (z === 90 /* Z */ || z === 122) pPos++;
      else if (z === 43 /* + */ || z === 45 /* - */) {
        pPos++;
        const oh = pDigits(2, 2);
        if (oh < 0 || oh > 23) return null;
        let om = 0;
        const next = text.charCodeAt(pPos);
        if (next === 58 || (next >= 48 && next <= 57)) {
          pChar(58);
          om = pDigits(2, 2);
        }
        if (om < 0 || om > 59) return null;
        const off = oh * MS_PER_HOUR + om * MS_PER_MINUTE;
        ms += z === 43 ? -off : off;
      }
    }
  }
  pSpaces();
  return pPos === text.length ? ms : null;
}

/** Parses `YYYY-MM-DD` (or a timestamp, whose day is taken) into days since the epoch; null when invalid. */
export function parseDate(text: string): number | null {
  pText = text;
  pPos = 0;
  pSpaces();
  const days = pDate();
  pSpaces();
  if (!Number.isNaN(days) && pPos === text.length) return days;
  const ts = parseTimestamp(text);
  return ts === null ? null : Math.floor(ts / MS_PER_DAY);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
}

function yearText(y: number): string {
  const a = y <= 0 ? 1 - y : y;
  return a < 10 ? `000${a}` : a < 100 ? `00${a}` : a < 1000 ? `0${a}` : `${a}`;
}

function dateText(days: number): string {
  civilFromDays(days);
  return `${yearText(civilY)}-${pad2(civilM)}-${pad2(civilD)}`;
}

/** Prints days since the epoch as DuckDB does: `2024-01-01` (`(BC)` appended before year 1). */
export function formatDate(days: number): string {
  if (!Number.isFinite(days)) return days > 0 ? 'infinity' : '-infinity';
  civilFromDays(days);
  return civilY <= 0 ? `${dateText(days)} (BC)` : dateText(days);
}

/**
 * Prints epoch ms as DuckDB's VARCHAR form of a TIMESTAMP: `2024-01-01 00:00:10`, with the
 * fraction when there are milliseconds, trailing zeros trimmed as DuckDB does (`.5`, `.123`).
 */
export function formatTimestamp(ms: number): string {
  if (!Number.isFinite(ms)) return ms > 0 ? 'infinity' : '-infinity';
  const days = Math.floor(ms / MS_PER_DAY);
  const tod = ms - days * MS_PER_DAY;
  const h = Math.floor(tod / MS_PER_HOUR);
  const mi = Math.floor((tod % MS_PER_HOUR) / MS_PER_MINUTE);
  const s = Math.floor((tod % MS_PER_MINUTE) / 1000);
  const frac = Math.floor(tod % 1000);
  let out = `${dateText(days)} ${pad2(h)}:${pad2(mi)}:${pad2(s)}`;
  if (frac !== 0) out += `.${pad3(frac).replace(/0+$/, '')}`;
  return civilY <= 0 ? `${out} (BC)` : out;
}

/** Prints epoch ms as ISO-8601 UTC with milliseconds, `2024-01-01T00:00:10.000Z` (the jsonl/csv form). */
export function formatIsoTimestamp(ms: number): string {
  if (!Number.isFinite(ms)) return ms > 0 ? 'infinity' : '-infinity';
  const days = Math.floor(ms / MS_PER_DAY);
  const tod = ms - days * MS_PER_DAY;
  civilFromDays(days);
  const y = civilY;
  const yy = y >= 0 && y <= 9999 ? yearText(y) : `${y < 0 ? '-' : '+'}${String(Math.abs(y)).padStart(6, '0')}`;
  return (
    `${yy}-${pad2(civilM)}-${pad2(civilD)}T${pad2(Math.floor(tod / MS_PER_HOUR))}:` +
    `${pad2(Math.floor((tod % MS_PER_HOUR) / MS_PER_MINUTE))}:${pad2(Math.floor((tod % MS_PER_MINUTE) / 1000))}.` +
    `${pad3(Math.floor(tod % 1000))}Z`
  );
}

function timeText(ms: number): string {
  const h = Math.floor(ms / MS_PER_HOUR);
  const mi = Math.floor((ms % MS_PER_HOUR) / MS_PER_MINUTE);
  const s = Math.floor((ms % MS_PER_MINUTE) / 1000);
  const frac = ms % 1000;
  let out = `${pad2(h)}:${pad2(mi)}:${pad2(s)}`;
  if (frac !== 0) {
    const f = (frac / 1000).toFixed(6);
    out += f.slice(f.indexOf('.')).replace(/0+$/, '');
  }
  return out;
}

/** Prints an interval (ms) as DuckDB does for a day-time interval: `00:00:10`, `1 day 02:00:00`, `-00:05:00`. */
export function formatInterval(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const days = Math.trunc(ms / MS_PER_DAY);
  const rest = ms - days * MS_PER_DAY;
  const parts: string[] = [];
  if (days !== 0) parts.push(`${days} day${days === 1 || days === -1 ? '' : 's'}`);
  if (rest !== 0 || days === 0) parts.push(rest < 0 ? `-${timeText(-rest)}` : timeText(rest));
  return parts.join(' ');
}

const INTERVAL_UNITS: Record<string, number> = {
  us: 0.001,
  usec: 0.001,
  usecs: 0.001,
  microsecond: 0.001,
  microseconds: 0.001,
  ms: 1,
  msec: 1,
  msecs: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: MS_PER_MINUTE,
  min: MS_PER_MINUTE,
  mins: MS_PER_MINUTE,
  minute: MS_PER_MINUTE,
  minutes: MS_PER_MINUTE,
  h: MS_PER_HOUR,
  hr: MS_PER_HOUR,
  hrs: MS_PER_HOUR,
  hour: MS_PER_HOUR,
  hours: MS_PER_HOUR,
  d: MS_PER_DAY,
  day: MS_PER_DAY,
  days: MS_PER_DAY,
  w: 7 * MS_PER_DAY,
  week: 7 * MS_PER_DAY,
  weeks: 7 * MS_PER_DAY,
};

const INTERVAL_TOKEN = /\s*(?:([+-]?)(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?|([+-]?(?:\d+\.?\d*|\.\d+))\s*([a-z]*))/gy;

/**
 * Parses interval text into ms: `10 seconds`, `1 day 2 hours`, `1.5 s`, `00:00:10`, `-5 minutes`,
 * a bare number of seconds. Months and years have no fixed length in ms and give null, as does
 * anything unparseable.
 */
export function parseInterval(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (s.length === 0) return null;
  INTERVAL_TOKEN.lastIndex = 0;
  let ms = 0;
  let pos = 0;
  while (pos < s.length) {
    INTERVAL_TOKEN.lastIndex = pos;
    const m = INTERVAL_TOKEN.exec(s);
    if (m === null || m[0].length === 0) return null;
    pos = INTERVAL_TOKEN.lastIndex;
    if (m[2] !== undefined) {
      const v = Number(m[2]) * MS_PER_HOUR + Number(m[3]) * MS_PER_MINUTE + (m[4] ? Number(m[4]) * 1000 : 0);
      ms += m[1] === '-' ? -v : v;
    } else {
      const unit = m[6] === '' ? 1000 : INTERVAL_UNITS[m[6]!];
      if (unit === undefined) return null;
      ms += Number(m[5]) * unit;
    }
    while (s.charCodeAt(pos) === 32) pos++;
  }
  return Math.round(ms * 1000) / 1000;
}

// ---------------------------------------------------------------------------------------
// EXTRACT and DATE_TRUNC
// ---------------------------------------------------------------------------------------

/** A field extractor: value (TIMESTAMP ms, or INTERVAL ms) → field value. */
export type FieldFn = (x: number) => number;

function dayOf(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

const EXTRACT_FIELDS: Record<string, FieldFn> = {
  year: (ms) => (civilFromDays(dayOf(ms)), civilY),
  quarter: (ms) => (civilFromDays(dayOf(ms)), Math.floor((civilM - 1) / 3) + 1),
  month: (ms) => (civilFromDays(dayOf(ms)), civilM),
  week: (ms) => isoWeekOf(dayOf(ms)),
  day: (ms) => (civilFromDays(dayOf(ms)), civilD),
  dow: (ms) => isoDow(dayOf(ms)) % 7,
  isodow: (ms) => isoDow(dayOf(ms)),
  isoyear: (ms) => isoYearOf(dayOf(ms)),
  doy: (ms) => {
    const d = dayOf(ms);
    civilFromDays(d);
    return d - daysFromCivil(civilY, 1, 1) + 1;
  },
  hour: (ms) => Math.floor(floorMod(ms, MS_PER_DAY) / MS_PER_HOUR),
  minute: (ms) => Math.floor(floorMod(ms, MS_PER_HOUR) / MS_PER_MINUTE),
  second: (ms) => Math.floor(floorMod(ms, MS_PER_MINUTE) / 1000),
  millisecond: (ms) => floorMod(ms, MS_PER_MINUTE),
  epoch: (ms) => ms / 1000,
};

// An interval is days plus a time of day, both carrying the sign (DuckDB normalizes
// TIMESTAMP - TIMESTAMP that way): fields truncate toward zero.
const INTERVAL_FIELDS: Record<string, FieldFn> = {
  day: (ms) => Math.trunc(ms / MS_PER_DAY),
  hour: (ms) => Math.trunc((ms % MS_PER_DAY) / MS_PER_HOUR),
  minute: (ms) => Math.trunc((ms % MS_PER_HOUR) / MS_PER_MINUTE),
  second: (ms) => (ms % MS_PER_MINUTE) / 1000,
  millisecond: (ms) => ms % MS_PER_MINUTE,
  epoch: (ms) => ms / 1000,
};

const ALIASES: Record<string, string> = {
  years: 'year',
  months: 'month',
  weeks: 'week',
  days: 'day',
  hours: 'hour',
  minutes: 'minute',
  seconds: 'second',
  milliseconds: 'millisecond',
  ms: 'millisecond',
  dayofweek: 'dow',
  weekday: 'dow',
  dayofyear: 'doy',
  dayofmonth: 'day',
};

/**
 * The extractor for an EXTRACT field over a TIMESTAMP (or DATE cast to one) or an INTERVAL;
 * undefined for an unknown field. Fields: YEAR QUARTER MONTH WEEK (ISO) DAY DOW (0 = Sunday)
 * ISODOW ISOYEAR DOY HOUR MINUTE SECOND (with fraction) MILLISECOND (seconds * 1000 + ms, as
 * DuckDB) EPOCH (seconds); an INTERVAL has DAY HOUR MINUTE SECOND MILLISECOND EPOCH.
 */
export function extractFieldFn(field: string, argType: SqlType = 'TIMESTAMP'): FieldFn | undefined {
  const f = field.toLowerCase();
  const name = ALIASES[f] ?? f;
  return argType === 'INTERVAL' ? INTERVAL_FIELDS[name] : EXTRACT_FIELDS[name];
}

function truncMonths(ms: number, months: number): number {
  civilFromDays(dayOf(ms));
  const m = Math.floor((civilM - 1) / months) * months + 1;
  return daysFromCivil(civilY, m, 1) * MS_PER_DAY;
}

const TRUNC_FIXED: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: MS_PER_MINUTE,
  hour: MS_PER_HOUR,
  day: MS_PER_DAY,
};

/**
 * The width in ms of a DATE_TRUNC unit that is a fixed number of ms (millisecond … day),
 * or undefined; `week` is 7 days aligned to Monday (see {@link dateTruncFn}).
 */
export function truncUnitMs(unit: string): number | undefined {
  const u = unit.toLowerCase();
  return TRUNC_FIXED[ALIASES[u] ?? u];
}

/** The truncation function of a DATE_TRUNC unit (millisecond … year, ISO weeks start on Monday); undefined if unknown. */
export function dateTruncFn(unit: string): FieldFn | undefined {
  const u0 = unit.toLowerCase();
  const u = ALIASES[u0] ?? u0;
  const fixed = TRUNC_FIXED[u];
  if (fixed !== undefined) return (ms) => ms - floorMod(ms, fixed);
  switch (u) {
    case 'week':
      // Day 0 (1970-01-01) is a Thursday; Mondays are days ≡ 4 (mod 7).
      return (ms) => ms - floorMod(ms - 4 * MS_PER_DAY, 7 * MS_PER_DAY);
    case 'month':
      return (ms) => truncMonths(ms, 1);
    case 'quarter':
      return (ms) => truncMonths(ms, 3);
    case 'year':
      return (ms) => truncMonths(ms, 12);
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Numbers and text
// ---------------------------------------------------------------------------------------

/** Rounds half away from zero (C's round, which DuckDB's ROUND uses). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** ROUND(x, digits) as DuckDB computes it for DOUBLE (and for integers with negative digits). */
export function roundDigits(x: number, digits: number, integral: boolean): number {
  if (digits >= 0) {
    if (integral) return x;
    const p = 10 ** digits;
    const r = roundHalfAway(x * p) / p;
    return Number.isFinite(r) ? r : x;
  }
  const p = 10 ** -digits;
  const r = roundHalfAway(x / p) * p;
  return Number.isFinite(r) ? r : 0;
}

/** Prints a DOUBLE as DuckDB does: shortest round-trip digits, `1.0`, `1e+16`, `1e-05`, `inf`, `nan`. */
export function formatDouble(x: number): string {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const e = x.toExponential();
  const ePos = e.indexOf('e');
  const exp = Number(e.slice(ePos + 1));
  if (exp < -4 || exp >= 16) {
    const mant = e.slice(0, ePos);
    const ae = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  // Within 1e-4 ≤ |x| < 1e16 JS prints the same shortest digits positionally.
  const s = String(x);
  return s.indexOf('.') >= 0 ? s : `${s}.0`;
}

const NUMBER_TEXT = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d+)?$/;
const RADIX_TEXT = /^([+-]?)0([xXbBoO])([0-9a-fA-F_]+)$/;

/** Parses numeric text as DuckDB's CAST does (spaces, sign, `_` separators, exponent, inf/nan, 0x/0b); NaN when invalid. */
export function parseNumber(text: string): number {
  const s = text.trim();
  if (NUMBER_TEXT.test(s)) return Number(s.indexOf('_') >= 0 ? s.replace(/_/g, '') : s);
  const r = RADIX_TEXT.exec(s);
  if (r !== null) {
    const kind = r[2]!.toLowerCase();
    const digits = r[3]!.replace(/_/g, '');
    const valid = kind === 'x' ? /^[0-9a-f]+$/i : kind === 'b' ? /^[01]+$/ : /^[0-7]+$/;
    if (!valid.test(digits)) return NaN;
    const v = parseInt(digits, kind === 'x' ? 16 : kind === 'b' ? 2 : 8);
    return r[1] === '-' ? -v : v;
  }
  return NaN;
}

function parseDoubleText(text: string): number | null {
  const v = parseNumber(text);
  if (v === v) return v;
  const s = text.trim().toLowerCase();
  if (s === 'nan' || s === '+nan' || s === '-nan') return NaN;
  if (s === 'inf' || s === 'infinity' || s === '+inf' || s === '+infinity') return Infinity;
  if (s === '-inf' || s === '-infinity') return -Infinity;
  return null;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Rounds half to even (banker's rounding), as DuckDB's casts from DOUBLE to integers do. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** A number as an INT value (rounded half to even, as DuckDB casts), or null when out of range or not finite. */
export function toInt32(x: number): number | null {
  const r = roundHalfEven(x) + 0;
  return r >= INT32_MIN && r <= INT32_MAX ? r : null;
}

/** A number as a BIGINT value (rounded half to even), or null when not finite or beyond ±2^63. */
export function toBigint(x: number): number | null {
  const r = roundHalfEven(x) + 0;
  return Number.isFinite(r) && Math.abs(r) < 9.223372036854776e18 ? r : null;
}

const TRUE_TEXT = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_TEXT = new Set(['false', 'f', 'no', 'n', '0']);

/**
 * Converts a value between types with the semantics of {@link CastExpr}; returns null when
 * a string does not parse or a number does not fit the target type.
 */
export function castValue(v: Value, from: SqlType, to: SqlType): Value {
  if (v === null || to === 'NULL') return null;
  if (from === to) return v;
  if (isDecimal(to)) return castToDecimal(v, from, to);
  if (isDecimal(from)) {
    if (to === 'VARCHAR') return formatDecimal(v as number, scaleOf(from));
    if (to === 'BOOLEAN') return v !== 0;
    if (to === 'DOUBLE') return decimalToNumber(v as number, scaleOf(from));
    if (to === 'INT' || to === 'BIGINT') {
      // Half away from zero, as DuckDB casts a DECIMAL to an integer.
      const x = divRound(v as number, pow10(scaleOf(from)));
      return to === 'INT' ? toInt32(x) : toBigint(x);
    }
    return null;
  }
  switch (to) {
    case 'VARCHAR':
      return toText(v, from);
    case 'BOOLEAN':
      if (from === 'VARCHAR') {
        const s = (v as string).toLowerCase();
        return TRUE_TEXT.has(s) ? true : FALSE_TEXT.has(s) ? false : null;
      }
      return isNumeric(from) ? v !== 0 : null;
    case 'INT':
    case 'BIGINT':
    case 'DOUBLE': {
      let x: number;
      if (from === 'VARCHAR') {
        const p = to === 'DOUBLE' ? parseDoubleText(v as string) : parseNumber(v as string);
        if (p === null) return null;
        x = p;
      } else if (from === 'BOOLEAN') x = v ? 1 : 0;
      else if (isNumeric(from)) x = v as number;
      else return null;
      if (to === 'DOUBLE') return x;
      // Text rounds half away from zero ('2.5' → 3), a DOUBLE half to even (2.5 → 2), as in DuckDB.
      if (from === 'VARCHAR' && Number.isFinite(x)) x = roundHalfAway(x);
      return to === 'INT' ? toInt32(x) : toBigint(x);
    }
    case 'TIMESTAMP':
      if (from === 'VARCHAR') return parseTimestamp(v as string);
      return from === 'DATE' ? (v as number) * MS_PER_DAY : null;
    case 'DATE':
      if (from === 'VARCHAR') return parseDate(v as string);
      return from === 'TIMESTAMP' ? Math.floor((v as number) / MS_PER_DAY) : null;
    case 'INTERVAL':
      return from === 'VARCHAR' ? parseInterval(v as string) : null;
  }
}

/**
 * A value as an unscaled DECIMAL of `to`: integers scale up, DECIMALs rescale (rounding
 * half away from zero), a DOUBLE by its shortest digits, text exactly. Text that is no
 * number is null; a value beyond the type's digits or 2^53 unscaled is an OVERFLOW.
 */
export function castToDecimal(v: Value, from: SqlType, to: DecimalType): Value {
  const s = scaleOf(to);
  let x: number;
  if (isDecimal(from)) x = rescale(v as number, scaleOf(from), s);
  else if (from === 'INT' || from === 'BIGINT') x = (v as number) * pow10(s);
  else if (from === 'BOOLEAN') x = v ? pow10(s) : 0;
  else if (from === 'DOUBLE') x = numberToDecimal(v as number, s);
  else if (from === 'VARCHAR') {
    x = parseDecimal(v as string, s);
    if (x !== x) return null;
  } else return null;
  return checkDecimal(x, to, `CAST(${isDecimal(from) ? formatDecimal(v as number, scaleOf(from)) : toText(v, from)} AS ${to})`);
}

function toText(v: Value, from: SqlType): string {
  if (isDecimal(from)) return formatDecimal(v as number, scaleOf(from));
  switch (from) {
    case 'DOUBLE':
      return formatDouble(v as number);
    case 'TIMESTAMP':
      return formatTimestamp(v as number);
    case 'DATE':
      return formatDate(v as number);
    case 'INTERVAL':
      return formatInterval(v as number);
    case 'BOOLEAN':
      return v ? 'true' : 'false';
    default:
      return String(v);
  }
}

/**
 * Compares two strings by Unicode code point (DuckDB compares UTF-8 bytes, which orders the
 * same); JS `<` compares UTF-16 units, which puts U+E000…U+FFFF after astral characters.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Three-way SQL comparison of two non-null values of one type (NaN equals NaN and sorts last, as DuckDB). */
export function compareValues(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b) return 0;
    return a !== a ? (b !== b ? 0 : 1) : -1;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Counts the code points of a string (LENGTH). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** SUBSTRING(s, start[, len]) over code points, exactly as DuckDB (negative start counts from the end, negative len goes backwards). */
export function substringOf(s: string, offset: number, length?: number): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0xd800) {
      ascii = false;
      break;
    }
  }
  const cps = ascii ? null : Array.from(s);
  const size = cps === null ? s.length : cps.length;
  let len = length ?? 4294967295;
  if (len === 0) return '';
  let start: number;
  if (offset > 0) start = Math.min(size, offset - 1);
  else if (offset < 0) start = Math.max(size + offset, 0);
  else {
    start = 0;
    len--;
    if (len <= 0) return '';
  }
  let end: number;
  if (len > 0) end = Math.min(size, start + len);
  else {
    end = start;
    start = Math.max(0, start + len);
  }
  if (start >= end) return '';
  return cps === null ? s.slice(start, end) : cps.slice(start, end).join('');
}

function trimWith(s: string, chars: string | null, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  if (chars === null) {
    if (left) while (a < b && s.charCodeAt(a) === 32) a++;
    if (right) while (b > a && s.charCodeAt(b - 1) === 32) b--;
    return a === 0 && b === s.length ? s : s.slice(a, b);
  }
  const set = Array.from(chars);
  const cps = Array.from(s);
  let i = 0;
  let j = cps.length;
  if (left) while (i < j && set.includes(cps[i]!)) i++;
  if (right) while (j > i && set.includes(cps[j - 1]!)) j--;
  return cps.slice(i, j).join('');
}

/** TRIM: spaces only (as DuckDB), or the characters of `chars`. */
export function trimString(s: string, chars: string | null = null): string {
  return trimWith(s, chars, true, true);
}

/** LTRIM: leading spaces (or characters of `chars`) removed. */
export function ltrimString(s: string, chars: string | null = null): string {
  return trimWith(s, chars, true, false);
}

/** RTRIM: trailing spaces (or characters of `chars`) removed. */
export function rtrimString(s: string, chars: string | null = null): string {
  return trimWith(s, chars, false, true);
}

function mapCase(s: string, upper: boolean): string {
  const r = upper ? s.toUpperCase() : s.toLowerCase();
  if (r.length === s.length) return r;
  // A full case mapping changed the length (ß → SS, ﬀ → FF, İ → i̇). DuckDB uses simple,
  // one-to-one mappings: such characters stay as they are, but for the two below.
  let out = '';
  for (const ch of s) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += m.length === ch.length ? m : upper ? (ch === 'ß' ? 'ẞ' : ch) : ch === 'İ' ? 'i' : ch;
  }
  return out;
}

/** UPPER with DuckDB's one-to-one code point mapping. */
export function upperString(s: string): string {
  return mapCase(s, true);
}

/** LOWER with DuckDB's one-to-one code point mapping. */
export function lowerString(s: string): string {
  return mapCase(s, false);
}

const likeCache = new Map<string, RegExp>();

/** SQL LIKE on strings: `%` any run, `_` one code point, no escape character, case-sensitive. */
export function likeString(s: string, pattern: string): boolean {
  let re = likeCache.get(pattern);
  if (re === undefined) {
    let src = '^';
    for (const ch of pattern) {
      if (ch === '%') src += '.*';
      else if (ch === '_') src += '.';
      else src += ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
    }
    re = new RegExp(`${src}$`, 'su');
    if (likeCache.size > 256) likeCache.clear();
    likeCache.set(pattern, re);
  }
  return re.test(s);
}

// ---------------------------------------------------------------------------------------
// Evaluation of one call on single values
// ---------------------------------------------------------------------------------------

function isTrue(v: Value): boolean {
  return v === true;
}

/**
 * Evaluates one call on single values of the resolved argument types (NULL as null).
 * `argTypes` is needed only where values of different types look alike: EXTRACT over an
 * INTERVAL (default: TIMESTAMP).
 */
export function evalScalar(fn: ScalarFn, args: readonly Value[], resultType: SqlType, argTypes?: readonly SqlType[]): Value {
  switch (fn) {
    case 'and': {
      let sawNull = false;
      for (const a of args) {
        if (a === false) return false;
        if (a === null) sawNull = true;
      }
      return sawNull ? null : true;
    }
    case 'or': {
      let sawNull = false;
      for (const a of args) {
        if (a === true) return true;
        if (a === null) sawNull = true;
      }
      return sawNull ? null : false;
    }
    case 'is_null':
      return args[0] === null;
    case 'is_not_null':
      return args[0] !== null;
    case 'is_distinct':
    case 'is_not_distinct': {
      const [a, b] = args as [Value, Value];
      const same = a === null || b === null ? a === b : compareValues(a, b) === 0;
      return fn === 'is_distinct' ? !same : same;
    }
    case 'in': {
      const x = args[0]!;
      if (x === null) return null;
      let sawNull = false;
      for (let i = 1; i < args.length; i++) {
        const y = args[i]!;
        if (y === null) sawNull = true;
        else if (compareValues(x, y) === 0) return true;
      }
      return sawNull ? null : false;
    }
    case 'concat': {
      let out = '';
      for (const a of args) if (a !== null) out += a;
      return out;
    }
    case 'coalesce':
      for (const a of args) if (a !== null) return a;
      return null;
    case 'nullif': {
      const [a, b] = args as [Value, Value];
      if (a === null) return null;
      return b !== null && compareValues(a, b) === 0 ? null : a;
    }
    default:
      if (isMoreFn(fn)) return evalMoreFunction(fn, args);
      break;
  }
  for (const a of args) if (a === null) return null;
  switch (fn) {
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'mod': {
      const a = args[0] as number;
      const b = args[1] as number;
      let r: number;
      if (isDecimal(resultType)) {
        if (fn === 'mod') return b === 0 ? null : (a % b) + 0;
        r = fn === 'add' ? a + b : fn === 'sub' ? a - b : a * b;
        return checkDecimal(r, resultType, `the result of ${OP_SYMBOL[fn]}`);
      }
      if (fn === 'add') r = a + b;
      else if (fn === 'sub') r = a - b;
      else if (fn === 'mul') r = a * b;
      else if (b === 0) return null;
      else r = fn === 'div' ? a / b : a % b;
      return integralResult(r, resultType);
    }
    case 'neg':
      return integralResult(resultType === 'DOUBLE' ? -(args[0] as number) : 0 - (args[0] as number), resultType);
    case 'eq':
      return compareValues(args[0]!, args[1]!) === 0;
    case 'ne':
      return compareValues(args[0]!, args[1]!) !== 0;
    case 'lt':
      return compareValues(args[0]!, args[1]!) < 0;
    case 'le':
      return compareValues(args[0]!, args[1]!) <= 0;
    case 'gt':
      return compareValues(args[0]!, args[1]!) > 0;
    case 'ge':
      return compareValues(args[0]!, args[1]!) >= 0;
    case 'not':
      return !isTrue(args[0]!);
    case 'like':
      return likeString(args[0] as string, args[1] as string);
    case 'concat_op':
      return args.join('');
    case 'lower':
      return lowerString(args[0] as string);
    case 'upper':
      return upperString(args[0] as string);
    case 'length':
      return codePointLength(args[0] as string);
    case 'substring':
      return substringOf(args[0] as string, args[1] as number, args.length > 2 ? (args[2] as number) : undefined);
    case 'trim':
      return trimString(args[0] as string, args.length > 1 ? (args[1] as string) : null);
    case 'ltrim':
      return ltrimString(args[0] as string, args.length > 1 ? (args[1] as string) : null);
    case 'rtrim':
      return rtrimString(args[0] as string, args.length > 1 ? (args[1] as string) : null);
    case 'abs':
      return integralResult(Math.abs(args[0] as number), resultType);
    case 'floor':
    case 'ceil':
      if (isDecimal(resultType)) {
        const d = pow10(scaleOrZero(argTypes?.[0] ?? resultType));
        return fn === 'floor' ? divFloor(args[0] as number, d) : divCeil(args[0] as number, d);
      }
      return fn === 'floor' ? Math.floor(args[0] as number) : Math.ceil(args[0] as number);
    case 'round': {
      const x = args[0] as number;
      if (isDecimal(resultType)) {
        return roundDecimal(x, scaleOrZero(argTypes?.[0] ?? resultType), args.length > 1 ? (args[1] as number) : 0, scaleOf(resultType));
      }
      const integral = isIntegral(resultType);
      const r = args.length > 1 ? roundDigits(x, args[1] as number, integral) : integral ? x : roundHalfAway(x);
      return integralResult(r, resultType);
    }
    case 'extract': {
      const f = extractFieldFn(args[0] as string, argTypes?.[1] ?? 'TIMESTAMP');
      return f === undefined ? null : f(args[1] as number);
    }
    case 'date_trunc': {
      const f = dateTruncFn(args[0] as string);
      return f === undefined ? null : f(args[1] as number);
    }
    default:
      throw new Error(`evalScalar: unexpected function ${fn}`);
  }
}

/**
 * ROUND of an unscaled DECIMAL at scale `from` to `digits` fraction digits (half away from
 * zero), held at scale `to` (DuckDB: `to` is digits when smaller than `from`, 0 when digits
 * are negative, else `from`).
 */
export function roundDecimal(x: number, from: number, digits: number, to: number): number {
  if (digits >= from) return x;
  const q = divRound(x, pow10(from - digits));
  return digits >= to ? q : q * pow10(to - digits);
}

/** Keeps an integral result integral: -0 becomes 0, and an INT that overflows becomes NULL. */
function integralResult(r: number, t: SqlType): number | null {
  if (t === 'INT') return r >= INT32_MIN && r <= INT32_MAX ? r + 0 : null;
  return t === 'BIGINT' ? r + 0 : r;
}
