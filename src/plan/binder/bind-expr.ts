/**
 * Binds AST expressions to typed BoundExprs over a scope: resolves columns, types every
 * call with the function catalog, inserts casts, and rejects what cannot be typed.
 */
import type { Expr, FuncCall, Span, TypeName } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import { isNumeric, type SqlType } from '../../types.js';
import { decimalLiteralType, decimalRoundType, decimalType, isDecimal, parseDecimal, scaleOf, type DecimalType } from '../../decimal.js';
import { call, lit, type BoundExpr, type ScalarFn } from '../expr.js';
import { commonType, extractResultType, parseDate, parseTimestamp, resolveFunction } from '../functions.js';
import { checkConstantArgs, isMoreFn, MORE_FUNCTION_NAMES } from '../more-functions.js';
import type { Scope } from './scope.js';
import { closest } from './suggest.js';

export const AGGREGATE_FUNCTIONS = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
export const RANKING_FUNCTIONS = new Set(['ROW_NUMBER', 'RANK', 'DENSE_RANK']);
/** Window functions that read one row of the partition or frame (they need OVER). */
export const ANALYTIC_FUNCTIONS: ReadonlySet<string> = new Set(['LAG', 'LEAD', 'FIRST_VALUE', 'LAST_VALUE', 'NTH_VALUE']);
export const GROUP_WINDOW_FUNCTIONS = new Set(['TUMBLE', 'HOP', 'SESSION']);
export const GROUP_WINDOW_PROPERTIES = new Set([
  'TUMBLE_START',
  'TUMBLE_END',
  'TUMBLE_ROWTIME',
  'HOP_START',
  'HOP_END',
  'HOP_ROWTIME',
  'SESSION_START',
  'SESSION_END',
  'SESSION_ROWTIME',
]);

const SCALAR_NAMES = [
  'LOWER',
  'UPPER',
  'LENGTH',
  'SUBSTRING',
  'SUBSTR',
  'TRIM',
  'LTRIM',
  'RTRIM',
  'CONCAT',
  'ABS',
  'ROUND',
  'FLOOR',
  'CEIL',
  'CEILING',
  'COALESCE',
  'NULLIF',
  'DATE_TRUNC',
];

export interface ExprBinder {
  readonly scope: Scope;
  readonly sql: string;
  /** The clause being bound, for messages ("aggregate functions are not allowed in WHERE"). */
  readonly clause: string;
  /** Consulted first at every node; a result replaces normal binding (grouping, OVER). */
  readonly override?: (e: Expr) => BoundExpr | undefined;
}

export function spanText(sql: string, span: Span): string {
  return sql.slice(span.start, span.end);
}

/** The SQL type a written type names; DECIMAL alone is DECIMAL(18,3) and DECIMAL(p) is DECIMAL(p,0), as in DuckDB. */
export function mapTypeName(t: TypeName): SqlType {
  if (t.name !== 'DECIMAL') return t.name;
  const p = t.params[0] ?? 18;
  const s = t.params[1] ?? (t.params.length === 0 ? 3 : 0);
  const d = decimalType(p, s);
  if (d === undefined) {
    const why = p < 1 || p > 38 ? `its width must be between 1 and 38, got ${p}` : `its scale must be between 0 and the width ${p}, got ${s}`;
    throw new SluiceError('TYPE', `invalid type DECIMAL(${t.params.join(', ')}): ${why}`, { span: t.span });
  }
  return d;
}

/** Casts `e` to `to` where needed; untyped NULLs and parameters simply take the type. */
export function coerce(e: BoundExpr, to: SqlType): BoundExpr {
  if (e.type === to || to === 'NULL') return e;
  if (e.kind === 'Literal' && e.value === null) return lit(null, to);
  if (e.kind === 'Param' && e.type === 'NULL') return { ...e, type: to };
  return { kind: 'Cast', expr: e, type: to };
}

/** True when `e` contains an aggregate call (outside OVER). */
export function containsAggregate(e: Expr): boolean {
  let found = false;
  visitExpr(e, (x) => {
    if (x.kind === 'FuncCall' && x.over === undefined && AGGREGATE_FUNCTIONS.has(x.name)) found = true;
  });
  return found;
}

/** Visits every sub-expression, parents first (does not descend into OVER specs). */
export function visitExpr(e: Expr, f: (x: Expr) => void): void {
  f(e);
  switch (e.kind) {
    case 'Unary':
      return visitExpr(e.operand, f);
    case 'Binary':
      visitExpr(e.left, f);
      return visitExpr(e.right, f);
    case 'IsNull':
    case 'Cast':
    case 'Extract':
      return visitExpr(e.expr, f);
    case 'Between':
      visitExpr(e.expr, f);
      visitExpr(e.low, f);
      return visitExpr(e.high, f);
    case 'InList':
      visitExpr(e.expr, f);
      return e.list.forEach((x) => visitExpr(x, f));
    case 'InSubquery':
      // The subquery is a scope of its own: not visited.
      return visitExpr(e.expr, f);
    case 'Like':
      visitExpr(e.expr, f);
      return visitExpr(e.pattern, f);
    case 'Case':
      if (e.operand) visitExpr(e.operand, f);
      for (const w of e.whens) {
        visitExpr(w.when, f);
        visitExpr(w.then, f);
      }
      if (e.else) visitExpr(e.else, f);
      return;
    case 'FuncCall':
      return e.args.forEach((x) => visitExpr(x, f));
    default:
      return;
  }
}

const BINARY_FNS: Record<string, ScalarFn> = {
  OR: 'or',
  AND: 'and',
  '=': 'eq',
  '<>': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
  '||': 'concat_op',
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'div',
  '%': 'mod',
  '->': 'json_extract',
  '->>': 'json_extract_string',
};

const OP_WORDS: Partial<Record<ScalarFn, string>> = {
  or: 'OR',
  and: 'AND',
  not: 'NOT',
  eq: '=',
  ne: '<>',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
  concat_op: '||',
  add: '+',
  sub: '-',
  mul: '*',
  div: '/',
  mod: '%',
  neg: 'unary -',
  like: 'LIKE',
  in: 'IN',
};

/**
 * Functions users of Flink, RisingWave or DuckDB expect (the Nexmark suite uses them) that
 * sluice lacks so far: naming one is UNSUPPORTED, a to-do, rather than an unknown function.
 */
const NOT_YET_FUNCTIONS: ReadonlySet<string> = new Set(['TO_CHAR', 'PROCTIME', 'REGEXP_MATCH']);

/** Types a call with the function catalog and casts its arguments. */
export function resolveCall(name: string, args: BoundExpr[], span: Span, nameSpan: Span = span): BoundExpr {
  const r = resolveFunction(name, args.map((a) => a.type));
  if (r === undefined && NOT_YET_FUNCTIONS.has(name.toUpperCase())) {
    throw new SluiceError('UNSUPPORTED', `function ${name.toUpperCase()} is not supported yet`, { span: nameSpan });
  }
  if (r === undefined) {
    const hint = closest(name, [...SCALAR_NAMES, ...MORE_FUNCTION_NAMES, ...AGGREGATE_FUNCTIONS, 'EXTRACT', 'CAST']);
    throw new SluiceError('BIND', `unknown function ${name}${hint ? `: did you mean ${hint}?` : ''}`, { span: nameSpan });
  }
  if (typeof r === 'string') throw new SluiceError('TYPE', r, { span });
  if (isMoreFn(r.fn)) {
    const bad = checkConstantArgs(r.fn, args.map((a) => (a.kind === 'Literal' ? a.value : undefined)));
    if (bad !== undefined) throw new SluiceError('BIND', bad, { span });
  }
  let type = r.type;
  const digits = r.fn === 'round' && isDecimal(type) && args[1] !== undefined ? constantNumber(args[1]) : undefined;
  // DuckDB narrows the scale of ROUND(DECIMAL, n) to a constant n.
  if (digits !== undefined) type = decimalRoundType(type as DecimalType, digits);
  return call(
    r.fn,
    args.map((a, i) => coerce(a, r.argTypes[i] ?? a.type)),
    type,
  );
}

/** The value of a constant number expression (`2`, `-1`), else undefined. */
function constantNumber(e: BoundExpr): number | undefined {
  if (e.kind === 'Literal') return typeof e.value === 'number' ? e.value : undefined;
  if (e.kind === 'Call' && e.fn === 'neg' && e.args.length === 1) {
    const x = constantNumber(e.args[0]!);
    return x === undefined ? undefined : -x;
  }
  return undefined;
}

function op(fn: ScalarFn, args: BoundExpr[], span: Span): BoundExpr {
  return resolveCall(fn, args, span);
}

function typedLiteral(type: 'TIMESTAMP' | 'DATE', text: string, span: Span): BoundExpr {
  const v = type === 'TIMESTAMP' ? parseTimestamp(text) : parseDate(text);
  if (v === null) {
    const example = type === 'TIMESTAMP' ? "'2024-01-01 00:00:00'" : "'2024-01-01'";
    throw new SluiceError('TYPE', `invalid ${type} literal '${text}': expected a value like ${example}`, { span });
  }
  return lit(v, type);
}

/** Binds an expression; the error for an aggregate names `b.clause`. */
export function bindExpr(e: Expr, b: ExprBinder): BoundExpr {
  const o = b.override?.(e);
  if (o !== undefined) return o;
  switch (e.kind) {
    case 'NumberLit':
      if (e.isInteger && Number.isSafeInteger(e.value)) return lit(e.value, Math.abs(e.value) < 2 ** 31 ? 'INT' : 'BIGINT');
      if (e.isInteger) throw new SluiceError('TYPE', `integer ${e.text} is outside the supported range (±2^53)`, { span: e.span });
      return numberLiteral(e.text, e.value, e.span);
    case 'StringLit':
      return lit(e.value, 'VARCHAR');
    case 'BoolLit':
      return lit(e.value, 'BOOLEAN');
    case 'NullLit':
      return lit(null, 'NULL');
    case 'IntervalLit':
      return lit(e.ms, 'INTERVAL');
    case 'TypedLit':
      return typedLiteral(e.type, e.value, e.span);
    case 'ColumnRef': {
      const c = b.scope.resolve(e);
      const qualifier = e.qualifier?.name ?? (b.scope.isAmbiguous(c) ? c.qualifier : undefined);
      return { kind: 'Column', index: c.index, name: c.name, type: c.type, ...(qualifier !== undefined ? { qualifier } : {}) };
    }
    case 'Param':
      return { kind: 'Param', index: e.index, type: 'NULL' };
    case 'Unary': {
      const x = bindExpr(e.operand, b);
      if (e.op === 'NOT') return op('not', [x], e.span);
      if (e.op === '+') {
        if (!isNumeric(x.type) && x.type !== 'INTERVAL' && x.type !== 'NULL') {
          throw new SluiceError('TYPE', `cannot apply unary + to ${x.type}`, { span: e.span });
        }
        return x;
      }
      return op('neg', [x], e.span);
    }
    case 'Binary':
      return op(BINARY_FNS[e.op]!, [bindExpr(e.left, b), bindExpr(e.right, b)], e.span);
    case 'IsNull':
      return op(e.negated ? 'is_not_null' : 'is_null', [bindExpr(e.expr, b)], e.span);
    case 'Between': {
      const x = bindExpr(e.expr, b);
      const r = op('and', [op('ge', [x, bindExpr(e.low, b)], e.span), op('le', [x, bindExpr(e.high, b)], e.span)], e.span);
      return e.negated ? op('not', [r], e.span) : r;
    }
    case 'InList': {
      const r = op('in', [bindExpr(e.expr, b), ...e.list.map((x) => bindExpr(x, b))], e.span);
      return e.negated ? op('not', [r], e.span) : r;
    }
    case 'Like': {
      const args = [bindExpr(e.expr, b), bindExpr(e.pattern, b)];
      const r = e.similar ? resolveCall('REGEXP_FULL_MATCH', args, e.span) : op('like', args, e.span);
      return e.negated ? op('not', [r], e.span) : r;
    }
    case 'Case':
      return bindCase(e, b);
    case 'Cast':
      return coerceExplicit(bindExpr(e.expr, b), mapTypeName(e.type), e.span);
    case 'Extract': {
      const c = resolveCall('EXTRACT', [lit(e.field, 'VARCHAR'), bindExpr(e.expr, b)], e.span);
      const t = extractResultType(e.field);
      return t && c.kind === 'Call' ? { ...c, type: t } : c;
    }
    case 'FuncCall':
      return bindFuncCall(e, b);
    case 'Exists':
    case 'InSubquery':
    case 'ScalarSubquery':
      // Where subqueries are planned (WHERE conjuncts, scalar values in WHERE and the SELECT
      // list), bind-subquery.ts has already replaced them through `override`.
      throw new SluiceError('UNSUPPORTED', `${subqueryForm(e)} in ${b.clause} is not supported`, { span: e.span });
  }
}

/** A literal with a fraction: DECIMAL as DuckDB types it (`0.908` is DECIMAL(4,3)); with an exponent, DOUBLE. */
function numberLiteral(text: string, value: number, span: Span): BoundExpr {
  const t = decimalLiteralType(text);
  if (t === undefined) return lit(value, 'DOUBLE');
  const x = parseDecimal(text, scaleOf(t));
  if (!(Math.abs(x) <= Number.MAX_SAFE_INTEGER)) {
    throw new SluiceError('OVERFLOW', `decimal literal ${text} has more digits than sluice holds exactly (2^53 unscaled); write it as ${text}e0 for a DOUBLE`, {
      span,
    });
  }
  return lit(x, t);
}

/** How a subquery form reads in messages. */
export function subqueryForm(e: Expr): string {
  switch (e.kind) {
    case 'Exists':
      return 'EXISTS (SELECT …)';
    case 'InSubquery':
      return `${e.negated ? 'NOT IN' : 'IN'} (SELECT …)`;
    default:
      return 'a scalar subquery (SELECT …)';
  }
}

function coerceExplicit(x: BoundExpr, to: SqlType, span: Span): BoundExpr {
  if (x.type === to) return x;
  if (x.type === 'NULL') return coerce(x, to);
  const ok =
    to === 'VARCHAR' ||
    x.type === 'VARCHAR' ||
    (isNumeric(x.type) && isNumeric(to)) ||
    (x.type === 'BOOLEAN' && isNumeric(to)) ||
    (isNumeric(x.type) && to === 'BOOLEAN') ||
    (x.type === 'DATE' && to === 'TIMESTAMP') ||
    (x.type === 'TIMESTAMP' && to === 'DATE');
  if (!ok) throw new SluiceError('TYPE', `cannot cast ${x.type} to ${to}`, { span });
  return { kind: 'Cast', expr: x, type: to };
}

function bindCase(e: Extract<Expr, { kind: 'Case' }>, b: ExprBinder): BoundExpr {
  const operand = e.operand ? bindExpr(e.operand, b) : undefined;
  const whens = e.whens.map((w) => {
    const cond = operand ? op('eq', [operand, bindExpr(w.when, b)], w.when.span) : bindExpr(w.when, b);
    if (cond.type !== 'BOOLEAN' && cond.type !== 'NULL') {
      throw new SluiceError('TYPE', `CASE WHEN needs a BOOLEAN condition, got ${cond.type}`, { span: w.when.span });
    }
    return { when: coerce(cond, 'BOOLEAN'), then: bindExpr(w.then, b) };
  });
  const els = e.else ? bindExpr(e.else, b) : null;
  let type: SqlType = 'NULL';
  for (const x of [...whens.map((w) => w.then), ...(els ? [els] : [])]) {
    const t = commonType(type, x.type);
    if (t === undefined) {
      throw new SluiceError('TYPE', `CASE branches have incompatible types ${type} and ${x.type}`, { span: e.span });
    }
    type = t;
  }
  return {
    kind: 'Case',
    whens: whens.map((w) => ({ when: w.when, then: coerce(w.then, type) })),
    else: els ? coerce(els, type) : null,
    type,
  };
}

function bindFuncCall(e: FuncCall, b: ExprBinder): BoundExpr {
  if (e.over !== undefined) {
    throw new SluiceError('BIND', `window function ${e.name} … OVER is not allowed in ${b.clause}`, { span: e.span });
  }
  if (AGGREGATE_FUNCTIONS.has(e.name)) {
    throw new SluiceError('BIND', `aggregate function ${e.name} is not allowed in ${b.clause}`, { span: e.span });
  }
  if (e.filter) {
    throw new SluiceError('BIND', `FILTER (WHERE …) is only allowed on aggregate functions, not on ${e.name}`, { span: e.filter.span });
  }
  if (RANKING_FUNCTIONS.has(e.name)) {
    throw new SluiceError('BIND', `${e.name}() needs an OVER clause`, { span: e.span });
  }
  if (ANALYTIC_FUNCTIONS.has(e.name)) {
    throw new SluiceError('BIND', `${e.name} is a window function: it needs an OVER (PARTITION BY … ORDER BY …) clause`, { span: e.span });
  }
  if (GROUP_WINDOW_FUNCTIONS.has(e.name)) {
    throw new SluiceError(
      'BIND',
      `${e.name}(…) as a function belongs in GROUP BY; in FROM it is a window table function: FROM ${e.name}(table, time_column, …)`,
      { span: e.span },
    );
  }
  if (GROUP_WINDOW_PROPERTIES.has(e.name)) {
    throw new SluiceError('BIND', `${e.name} needs GROUP BY ${e.name.split('_')[0]}(…) with the same arguments`, { span: e.span });
  }
  if (e.distinct || e.star) {
    throw new SluiceError('BIND', `${e.star ? '*' : 'DISTINCT'} is only allowed in aggregate functions, not in ${e.name}`, {
      span: e.span,
    });
  }
  const name = e.name === 'SUBSTR' ? 'SUBSTRING' : e.name === 'CEILING' ? 'CEIL' : e.name;
  return resolveCall(name, e.args.map((a) => bindExpr(a, b)), e.span, e.nameSpan);
}

/** Describes an operator for messages. */
export function opWord(fn: ScalarFn): string {
  return OP_WORDS[fn] ?? fn.toUpperCase();
}

/** Requires a BOOLEAN expression (WHERE, HAVING, ON). */
export function requireBoolean(x: BoundExpr, clause: string, span: Span): BoundExpr {
  if (x.type === 'BOOLEAN') return x;
  if (x.type === 'NULL') return coerce(x, 'BOOLEAN');
  throw new SluiceError('TYPE', `${clause} needs a BOOLEAN condition, got ${x.type}`, { span });
}
