/**
 * The rest of the scalar function library: regular expressions, more text and math
 * functions, epoch conversions. Each is typed and evaluated on single values here; the
 * expression compiler calls {@link evalMoreFunction} per row (these are not on the hot paths
 * the kernels specialize). Semantics follow DuckDB.
 */
import type { SqlType, Value } from '../types.js';

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
  | 'to_timestamp';

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

const S: Record<string, Signature> = {
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
  EPOCH_MS: { fn: 'epoch_ms', args: ['TIMESTAMP'], result: 'BIGINT', strict: true },
  TO_TIMESTAMP: { fn: 'to_timestamp', args: ['DOUBLE'], result: 'TIMESTAMP', strict: true },
};

export const MORE_FUNCTION_NAMES: readonly string[] = Object.keys(S);

const STRICT = new Set(Object.values(S).filter((s) => s.strict).map((s) => s.fn));

/** Whether NULL in any argument makes the result NULL. */
export function isStrict(fn: MoreFn): boolean {
  return STRICT.has(fn);
}

export function isMoreFn(fn: string): fn is MoreFn {
  return Object.values(S).some((s) => s.fn === fn);
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
  const sig = S[name];
  if (!sig) return undefined;
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
      for (const x of a) if (x !== null && (best === null || (fn === 'greatest' ? x > best : x < best))) best = x;
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
  }
}
