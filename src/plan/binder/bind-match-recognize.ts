/**
 * Binds `input MATCH_RECOGNIZE (…)`: Flink's subset of SQL row pattern recognition (ONE ROW
 * PER MATCH over an append-only input ordered by event time). Every other standard form is
 * refused with UNSUPPORTED naming it. DEFINE and MEASURES expressions are bound over
 * navigations (see match-recognize-node.ts) through the expression binder's override hook,
 * so every ordinary function and operator works inside them.
 */
import { isNumeric } from '../../types.js';
import { isDecimal, scaleOf } from '../../decimal.js';
import type { ColumnRef, Expr, FuncCall, Ident, MatchRecognize, RowPattern, Span } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import type { BoundExpr } from '../expr.js';
import type { AggFn, SortKey } from '../logical-plan.js';
import {
  matchRecognizeNode,
  type BoundPattern,
  type Navigation,
  type NavExpr,
  type SkipMode,
} from '../match-recognize-node.js';
import { aggregateType } from '../node-builders.js';
import { bindExpr, requireBoolean, spanText } from './bind-expr.js';
import { bindFrom } from './bind-from.js';
import type { BindContext, BoundRelation } from './context.js';
import { Scope } from './scope.js';

/** Upper bound of a `{n,m}` quantifier: the pattern is expanded into that many NFA states. */
const MAX_REPEAT = 1000;
/** Bounded quantifiers are expanded into copies: a pattern's NFA stays below this many states. */
const MAX_STATES = 100_000;
/** The operator keeps each row's DEFINE results as bits of one number. */
const MAX_VARIABLES = 30;

export function bindMatchRecognize(mr: MatchRecognize, ctx: BindContext): BoundRelation {
  const input = bindFrom({ kind: 'TableRef', name: mr.input, alias: undefined, asOf: undefined, span: mr.input.span }, ctx);
  const fail = (code: 'BIND' | 'UNSUPPORTED' | 'TYPE', message: string, span: Span): never => {
    throw new SluiceError(code, message, { span });
  };
  if (!input.plan.appendOnly) {
    fail('UNSUPPORTED', `MATCH_RECOGNIZE over a changelog input (one with updates or deletes) is not supported: '${mr.input.name}' is not append-only`, mr.input.span);
  }
  if (mr.rowsPerMatch && !mr.rowsPerMatch.one) fail('UNSUPPORTED', 'ALL ROWS PER MATCH is not supported: use ONE ROW PER MATCH', mr.rowsPerMatch.span);

  const partitionBy = mr.partitionBy.map((c) => input.scope.resolve(c).index);
  const orderBy = bindOrder(mr, input.scope, fail);

  // Variables in order of first appearance in PATTERN.
  const variables: string[] = [];
  const varIds = new Map<string, number>();
  const pattern = bindPattern(mr.pattern, (id) => {
    let v = varIds.get(id.name);
    if (v === undefined) {
      v = variables.length;
      varIds.set(id.name, v);
      variables.push(id.quoted ? id.name : spanText(ctx.sql, id.span));
    }
    return v;
  }, fail);
  if (variables.length > MAX_VARIABLES) fail('UNSUPPORTED', `a PATTERN with more than ${MAX_VARIABLES} variables is not supported`, mr.pattern.span);
  if (nfaSize(pattern) > MAX_STATES) fail('UNSUPPORTED', `this PATTERN expands to more than ${MAX_STATES} states (nested {n,m} quantifiers multiply)`, mr.pattern.span);
  if (canBeEmpty(pattern)) fail('UNSUPPORTED', 'a PATTERN that can match no rows (every part optional) is not supported', mr.pattern.span);

  const defines: (NavExpr | null)[] = variables.map(() => null);
  for (const d of mr.defines) {
    const v = varIds.get(d.name.name);
    if (v === undefined) fail('BIND', `DEFINE ${d.name.name}: '${d.name.name}' is not a variable of the PATTERN (variables: ${variables.join(', ')})`, d.name.span);
    if (defines[v!] !== null) fail('BIND', `variable '${d.name.name}' is defined twice`, d.name.span);
    const nav = bindNavExpr(d.cond, { kind: 'DEFINE', variable: v! }, input.scope, varIds, ctx.sql, orderBy[0]!.column);
    defines[v!] = { ...nav, expr: requireBoolean(nav.expr, 'DEFINE', d.cond.span) };
  }

  const names = new Set(partitionBy.map((i) => input.plan.schema[i]!.name));
  const measures = mr.measures.map((m) => {
    if (names.has(m.alias.name)) fail('BIND', `MEASURES: the output already has a column named '${m.alias.name}'`, m.alias.span);
    names.add(m.alias.name);
    const nav = bindNavExpr(m.expr, { kind: 'MEASURES' }, input.scope, varIds, ctx.sql, orderBy[0]!.column);
    return { name: m.alias.name, ...nav, timeAttr: isMatchRowtime(nav, orderBy[0]!.column) };
  });

  let skip: SkipMode = { kind: 'PAST_LAST_ROW' };
  const a = mr.afterMatch;
  if (a && 'variable' in a) {
    const v = varIds.get(a.variable.name);
    if (v === undefined) fail('BIND', `AFTER MATCH SKIP ${a.skip === 'TO_FIRST' ? 'TO FIRST' : 'TO LAST'} ${a.variable.name}: not a variable of the PATTERN`, a.variable.span);
    skip = { kind: a.skip, variable: v! };
  } else if (a) skip = { kind: a.skip };

  if (mr.withinMs !== undefined && mr.withinMs <= 0) fail('BIND', 'WITHIN needs a positive interval', mr.withinSpan!);

  const plan = matchRecognizeNode(input.plan, {
    partitionBy,
    orderBy,
    variables,
    pattern,
    patternText: spanText(ctx.sql, mr.pattern.span).replace(/\s+/g, ' '),
    defines,
    measures,
    skip,
    withinMs: mr.withinMs ?? null,
  });
  return { plan, scope: Scope.of(plan.schema, mr.alias?.name) };
}

function bindOrder(mr: MatchRecognize, scope: Scope, fail: (c: 'BIND' | 'UNSUPPORTED', m: string, s: Span) => never): SortKey[] {
  if (mr.orderBy.length === 0) fail('BIND', 'MATCH_RECOGNIZE needs ORDER BY the event-time column (the one in the WATERMARK FOR clause)', mr.span);
  return mr.orderBy.map((o, k) => {
    if (o.expr.kind !== 'ColumnRef') fail('UNSUPPORTED', 'MATCH_RECOGNIZE ORDER BY takes columns, not expressions', o.expr.span);
    const c = scope.resolve(o.expr as ColumnRef);
    if (k === 0) {
      if (c.type !== 'TIMESTAMP' || !c.timeAttr) {
        fail('BIND', `MATCH_RECOGNIZE must be ordered first by the event-time column (the one in the WATERMARK FOR clause), not by '${c.name}'`, o.expr.span);
      }
      if (o.desc) fail('UNSUPPORTED', `MATCH_RECOGNIZE ORDER BY ${c.name} DESC: the event-time order must be ascending`, o.span);
    }
    return { column: c.index, desc: o.desc, nullsFirst: o.nulls === 'FIRST' };
  });
}

function bindPattern(p: RowPattern, varId: (id: Ident) => number, fail: (c: 'UNSUPPORTED', m: string, s: Span) => never): BoundPattern {
  switch (p.kind) {
    case 'PatternVar':
      return { kind: 'var', v: varId(p.name) };
    case 'PatternSeq':
      return { kind: 'seq', items: p.items.map((i) => bindPattern(i, varId, fail)) };
    case 'PatternAlt':
      return { kind: 'alt', items: p.items.map((i) => bindPattern(i, varId, fail)) };
    case 'PatternQuant':
      if ((p.max ?? p.min) > MAX_REPEAT) fail('UNSUPPORTED', `quantifier bounds above ${MAX_REPEAT} are not supported`, p.span);
      return { kind: 'quant', term: bindPattern(p.term, varId, fail), min: p.min, max: p.max, reluctant: p.reluctant };
    case 'PatternEmpty':
      return fail('UNSUPPORTED', 'the empty pattern () is not supported', p.span);
    case 'PatternUnsupported':
      return fail('UNSUPPORTED', `${p.form} in a MATCH_RECOGNIZE PATTERN is not supported`, p.span);
  }
}

/** The number of NFA states the pattern compiles to (see exec/operators/match-recognize/nfa.ts). */
function nfaSize(p: BoundPattern): number {
  switch (p.kind) {
    case 'var':
      return 1;
    case 'seq':
      return p.items.reduce((n, i) => n + nfaSize(i), 0);
    case 'alt':
      return p.items.reduce((n, i) => n + nfaSize(i), 0) + p.items.length - 1;
    case 'quant':
      return (nfaSize(p.term) + 1) * (p.max === null ? p.min + 1 : p.max);
  }
}

function canBeEmpty(p: BoundPattern): boolean {
  switch (p.kind) {
    case 'var':
      return false;
    case 'seq':
      return p.items.every(canBeEmpty);
    case 'alt':
      return p.items.some(canBeEmpty);
    case 'quant':
      return p.min === 0 || canBeEmpty(p.term);
  }
}

type Clause = { readonly kind: 'DEFINE'; readonly variable: number } | { readonly kind: 'MEASURES' };

const NAV_AGGS = new Set<string>(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);

/** Binds one DEFINE condition or measure: each navigation becomes a column of its own list. */
/** Whether a measure is the event time of the match's last row (MATCH_ROWTIME() or LAST(ts)): an event-time column of the output. */
function isMatchRowtime(m: NavExpr, timeCol: number): boolean {
  const n = m.expr.kind === 'Column' ? m.navs[m.expr.index] : undefined;
  return n !== undefined && n.kind === 'last' && n.variable === null && n.column === timeCol && n.offset === 0;
}

function bindNavExpr(e: Expr, clause: Clause, scope: Scope, varIds: ReadonlyMap<string, number>, sql: string, timeCol: number): NavExpr {
  const navs: Navigation[] = [];
  const keys = new Map<string, number>();
  const where = clause.kind;
  const slot = (nav: Navigation, text: string): BoundExpr => {
    const key = JSON.stringify(nav);
    let i = keys.get(key);
    if (i === undefined) {
      i = navs.length;
      navs.push(nav);
      keys.set(key, i);
    }
    return { kind: 'Column', index: i, name: text, type: nav.type };
  };
  const variableOf = (q: Ident | undefined): number | null => {
    if (q === undefined) return null;
    const v = varIds.get(q.name);
    if (v === undefined) {
      throw new SluiceError('BIND', `'${q.name}' is not a pattern variable (variables: ${[...varIds.keys()].join(', ')})`, { span: q.span });
    }
    return v;
  };
  const column = (ref: ColumnRef) => scope.resolve({ ...ref, qualifier: undefined });
  /** The argument of FIRST/LAST/PREV/an aggregate: a column, plain or qualified by a variable. */
  const columnArg = (f: FuncCall): ColumnRef => {
    const a = f.args[0];
    if (a === undefined || a.kind !== 'ColumnRef') {
      throw new SluiceError('UNSUPPORTED', `${f.name} in ${where} takes a column (v.col or col), not an expression`, { span: a?.span ?? f.span });
    }
    return a;
  };
  const offsetArg = (f: FuncCall): number => {
    const a = f.args[1];
    if (a === undefined) return f.name === 'PREV' ? 1 : 0;
    const n = a.kind === 'NumberLit' && a.isInteger ? a.value : undefined;
    if (f.args.length > 2 || n === undefined || n < 0) {
      throw new SluiceError('BIND', `${f.name}: the offset must be a whole number literal ≥ 0`, { span: a.span });
    }
    return n;
  };
  const override = (x: Expr): BoundExpr | undefined => {
    if (x.kind === 'ColumnRef') {
      const c = column(x);
      const v = variableOf(x.qualifier);
      const text = spanText(sql, x.span);
      // In DEFINE the tested row is the defined variable's last row and the match's last row.
      if (clause.kind === 'DEFINE' && (v === null || v === clause.variable)) return slot({ kind: 'prev', column: c.index, offset: 0, type: c.type }, text);
      return slot({ kind: 'last', variable: v, column: c.index, offset: 0, type: c.type }, text);
    }
    if (x.kind !== 'FuncCall') return undefined;
    const text = spanText(sql, x.span);
    if (x.over !== undefined && (x.name === 'FIRST' || x.name === 'LAST' || x.name === 'PREV' || NAV_AGGS.has(x.name))) {
      throw new SluiceError('UNSUPPORTED', `${x.name} … OVER inside MATCH_RECOGNIZE is not supported`, { span: x.span });
    }
    switch (x.name) {
      case 'PREV': {
        const ref = columnArg(x);
        const v = variableOf(ref.qualifier);
        if (clause.kind !== 'DEFINE') throw new SluiceError('UNSUPPORTED', 'PREV in MEASURES is not supported (use LAST(v.col, n))', { span: x.span });
        if (v !== null && v !== clause.variable) {
          throw new SluiceError('UNSUPPORTED', `PREV(${spanText(sql, ref.span)}): PREV navigates from the row being tested; qualify it with the defined variable or nothing`, { span: x.span });
        }
        const c = column(ref);
        return slot({ kind: 'prev', column: c.index, offset: offsetArg(x), type: c.type }, text);
      }
      case 'NEXT':
        throw new SluiceError('UNSUPPORTED', 'NEXT in MATCH_RECOGNIZE is not supported (rows after the current one are not known yet)', { span: x.span });
      case 'FIRST':
      case 'LAST': {
        const ref = columnArg(x);
        const c = column(ref);
        return slot({ kind: x.name === 'FIRST' ? 'first' : 'last', variable: variableOf(ref.qualifier), column: c.index, offset: offsetArg(x), type: c.type }, text);
      }
      case 'MATCH_NUMBER':
      case 'CLASSIFIER': {
        if (clause.kind !== 'MEASURES') throw new SluiceError('UNSUPPORTED', `${x.name}() in DEFINE is not supported`, { span: x.span });
        if (x.args.length > 0 || x.star) throw new SluiceError('BIND', `${x.name}() takes no arguments`, { span: x.span });
        return x.name === 'MATCH_NUMBER' ? slot({ kind: 'matchNumber', type: 'BIGINT' }, text) : slot({ kind: 'classifier', type: 'VARCHAR' }, text);
      }
      case 'MATCH_ROWTIME':
        if (clause.kind !== 'MEASURES') throw new SluiceError('UNSUPPORTED', 'MATCH_ROWTIME() in DEFINE is not supported', { span: x.span });
        if (x.args.length > 0 || x.star) throw new SluiceError('BIND', 'MATCH_ROWTIME() takes no arguments', { span: x.span });
        return slot({ kind: 'last', variable: null, column: timeCol, offset: 0, type: 'TIMESTAMP' }, text);
      case 'MATCH_PROCTIME':
        throw new SluiceError('UNSUPPORTED', `${x.name}() is not supported`, { span: x.span });
    }
    if (!NAV_AGGS.has(x.name)) return undefined;
    const fn = x.name as AggFn;
    if (x.distinct) throw new SluiceError('UNSUPPORTED', `${fn}(DISTINCT …) inside MATCH_RECOGNIZE is not supported`, { span: x.span });
    if (x.filter) throw new SluiceError('UNSUPPORTED', `${fn}(…) FILTER inside MATCH_RECOGNIZE is not supported`, { span: x.span });
    if (x.star || x.starQualifier) {
      if (fn !== 'COUNT') throw new SluiceError('BIND', `${fn}(*) is not allowed`, { span: x.span });
      return slot({ kind: 'agg', fn, variable: variableOf(x.starQualifier), column: null, type: 'BIGINT' }, text);
    }
    const ref = columnArg(x);
    const c = column(ref);
    if ((fn === 'SUM' || fn === 'AVG') && !isNumeric(c.type)) {
      throw new SluiceError('TYPE', `${fn} needs a numeric column, but '${c.name}' is ${c.type}`, { span: ref.span });
    }
    const scale = isDecimal(c.type) && (fn === 'SUM' || fn === 'AVG') ? { scale: scaleOf(c.type) } : {};
    return slot({ kind: 'agg', fn, variable: variableOf(ref.qualifier), column: c.index, type: aggregateType(fn, c.type), ...scale }, text);
  };
  const expr = bindExpr(e, { scope, sql, clause: `MATCH_RECOGNIZE ${where}`, override });
  return { expr, navs };
}

