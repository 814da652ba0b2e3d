/**
 * Binds one SELECT block: WHERE, grouping (plain, window table function, or group-window
 * form), aggregates, HAVING, OVER, the select list and DISTINCT.
 */
import { isNumeric } from '../../types.js';
import type { ColumnRef, Expr, FuncCall, Select, SelectItem } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import { columnsUsed, exprEquals, type BoundExpr } from '../expr.js';
import type { AggCall, AggFn, LogicalPlan, WindowDef, WindowKind } from '../logical-plan.js';
import {
  aggregateNode,
  aggregateType,
  filterNode,
  projectNode,
  valuesNode,
  windowAggregateNode,
} from '../node-builders.js';
import {
  AGGREGATE_FUNCTIONS,
  bindExpr,
  containsAggregate,
  GROUP_WINDOW_FUNCTIONS,
  GROUP_WINDOW_PROPERTIES,
  requireBoolean,
  spanText,
  visitExpr,
  type ExprBinder,
} from './bind-expr.js';
import { bindFrom } from './bind-from.js';
import { planSubqueries } from './bind-subquery.js';
import { bindOver } from './bind-over.js';
import { checkTimeColumn, windowDef } from './bind-window.js';
import type { BindContext, BoundRelation } from './context.js';
import { Scope } from './scope.js';

type Override = (e: Expr) => BoundExpr | undefined;

export function bindSelect(sel: Select, ctx: BindContext): BoundRelation {
  const from: BoundRelation = sel.from
    ? bindFrom(sel.from, ctx)
    : { plan: valuesNode([[]], []), scope: new Scope([]) };
  // Subqueries in WHERE and the SELECT list become joins on the FROM relation.
  const sub = planSubqueries(sel, from, ctx);
  const rel = sub.rel;
  const where = sub.where
    ? requireBoolean(bindExpr(sub.where, { scope: rel.scope, sql: ctx.sql, clause: 'WHERE', override: sub.override }), 'WHERE', sub.where.span)
    : undefined;

  const aggCalls: FuncCall[] = [];
  const overCalls: FuncCall[] = [];
  // Aggregates inside an OVER clause (`RANK() OVER (ORDER BY SUM(x))`) are the GROUP BY's too.
  const collect = (x: Expr): void => {
    if (x.kind !== 'FuncCall') return;
    if (!x.over) {
      if (AGGREGATE_FUNCTIONS.has(x.name)) aggCalls.push(x);
      return;
    }
    overCalls.push(x);
    for (const p of x.over.partitionBy) visitExpr(p, collect);
    for (const o of x.over.orderBy) visitExpr(o.expr, collect);
  };
  for (const i of sel.items) if (i.kind === 'ExprItem') visitExpr(i.expr, collect);
  const itemOvers = overCalls.length;
  if (sel.having) visitExpr(sel.having, collect);
  if (overCalls.length > itemOvers) {
    throw new SluiceError('BIND', 'window functions (OVER) are not allowed in HAVING: filter on them in an outer query', { span: overCalls[itemOvers]!.span });
  }
  const isAgg = sel.groupBy.length > 0 || aggCalls.length > 0;
  if (sel.having && !isAgg) {
    throw new SluiceError('BIND', 'HAVING needs GROUP BY or an aggregate function', { span: sel.having.span });
  }

  let plan: LogicalPlan;
  let override: Override | undefined;
  let consumedWindow = false;
  if (isAgg) {
    // Window functions come after GROUP BY and HAVING: over the groups, their expressions
    // bound as the select list's are (a group key or an aggregate, by the GROUP BY's override).
    const g = bindAggregate(sel, rel, where, aggCalls, ctx);
    plan = g.plan;
    override = g.override;
    consumedWindow = g.windowed;
    if (sel.having) {
      const h = bindExpr(sel.having, { scope: rel.scope, sql: ctx.sql, clause: 'HAVING', override: g.override });
      plan = filterNode(plan, requireBoolean(h, 'HAVING', sel.having.span));
    }
    if (overCalls.length > 0) {
      const o = bindOver(plan, rel.scope, overCalls, ctx, (c) => bindAggArg(c, rel.scope, ctx.sql, g.override), g.override);
      plan = o.plan;
      override = (e) => o.override(e) ?? g.override(e);
    }
  } else {
    plan = where ? filterNode(rel.plan, where) : rel.plan;
    if (overCalls.length > 0) {
      const o = bindOver(plan, rel.scope, overCalls, ctx, (c) => bindAggArg(c, rel.scope, ctx.sql));
      plan = o.plan;
      override = o.override;
    }
  }
  if (rel.plan.kind === 'WindowTvf' && rel.plan.window.kind === 'SESSION' && !consumedWindow) {
    throw new SluiceError('BIND', 'SESSION windows must be aggregated: GROUP BY window_start, window_end and the partition keys', {
      span: sel.from!.span,
    });
  }

  const exprs: BoundExpr[] = [];
  const names: string[] = [];
  const inner = override;
  const itemOverride: Override | undefined = sub.override && inner ? (e) => sub.override!(e) ?? inner(e) : (sub.override ?? inner);
  const itemBinder: ExprBinder = { scope: rel.scope, sql: ctx.sql, clause: 'the SELECT list', override: itemOverride };
  for (const item of sel.items) {
    if (item.kind === 'StarItem') {
      for (const c of rel.scope.star(item.qualifier, item.span)) {
        if (override) {
          const ref: ColumnRef = {
            kind: 'ColumnRef',
            qualifier: c.qualifier === undefined ? undefined : { name: c.qualifier, quoted: true, span: item.span },
            name: { name: c.name, quoted: true, span: item.span },
            span: item.span,
          };
          exprs.push(bindExpr(ref, itemBinder));
        } else {
          exprs.push({ kind: 'Column', index: c.index, name: c.name, type: c.type });
        }
        names.push(c.name);
      }
    } else {
      exprs.push(bindExpr(item.expr, itemBinder));
      names.push(item.alias?.name ?? defaultName(item.expr, ctx.sql));
    }
  }
  plan = projectNode(plan, exprs, names);
  if (sel.distinct) plan = aggregateNode(plan, plan.schema.map((_, i) => i), [], ctx.stateTtlMs);
  return { plan, scope: Scope.of(plan.schema, undefined) };
}

/** The output name of an unaliased select item: a column's name, else the expression as written. */
export function defaultName(e: Expr, sql: string): string {
  if (e.kind === 'ColumnRef') return e.name.name;
  return spanText(sql, e.span).replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------
// GROUP BY
// ---------------------------------------------------------------------------------------

interface BoundAgg {
  readonly ast: FuncCall;
  readonly fn: AggFn;
  readonly distinct: boolean;
  readonly arg: BoundExpr | null;
  /** The FILTER condition as written (for EXPLAIN); already folded into `arg`. */
  readonly filter?: string;
}

/** `override`: an aggregate window function's argument over the groups (`SUM(COUNT(*)) OVER ()`). */
function bindAggArg(a: FuncCall, scope: Scope, sql: string, override?: Override): BoundAgg {
  const fn = a.name as AggFn;
  let arg: BoundExpr | null = null;
  if (a.star) {
    if (fn !== 'COUNT') throw new SluiceError('BIND', `${fn}(*) is not allowed: only COUNT(*)`, { span: a.span });
  } else {
    if (a.args.length !== 1) {
      throw new SluiceError('BIND', `${fn} takes exactly one argument, got ${a.args.length}`, { span: a.span });
    }
    arg = bindExpr(a.args[0]!, { scope, sql, clause: `the argument of ${fn}`, override });
    const numeric = isNumeric(arg.type) || arg.type === 'NULL';
    if ((fn === 'SUM' || fn === 'AVG') && !numeric && !(fn === 'SUM' && arg.type === 'INTERVAL')) {
      throw new SluiceError('TYPE', `${fn} needs a numeric argument, got ${arg.type}`, { span: a.args[0]!.span });
    }
  }
  const distinct = a.distinct && fn !== 'MIN' && fn !== 'MAX';
  if (!a.filter) return { ast: a, fn, distinct, arg };
  if (containsAggregate(a.filter)) {
    throw new SluiceError('BIND', 'aggregate functions are not allowed in FILTER (WHERE …)', { span: a.filter.span });
  }
  const cond = requireBoolean(bindExpr(a.filter, { scope, sql, clause: 'FILTER (WHERE …)', override }), 'FILTER', a.filter.span);
  // Every aggregate skips NULL inputs, so a row whose condition is not TRUE becomes a NULL
  // input: the same projection runs on inserts and retractions, so both see the same filter.
  // COUNT(*) counts a non-NULL constant instead, which turns it into COUNT(x).
  const value: BoundExpr = arg ?? { kind: 'Literal', value: 1, type: 'INT' };
  const filtered: BoundExpr = { kind: 'Case', whens: [{ when: cond, then: value }], else: null, type: value.type };
  return { ast: a, fn, distinct, arg: filtered, filter: spanText(sql, a.filter.span).replace(/\s+/g, ' ').trim() };
}

function sameAgg(x: BoundAgg, y: BoundAgg): boolean {
  return x.fn === y.fn && x.distinct === y.distinct && (x.arg === null ? y.arg === null : y.arg !== null && exprEquals(x.arg, y.arg));
}

/** GROUP BY 1 and GROUP BY alias refer to select items. */
function resolveGroupItem(g: Expr, sel: Select, scope: Scope): Expr {
  const items = sel.items.filter((i): i is Extract<SelectItem, { kind: 'ExprItem' }> => i.kind === 'ExprItem');
  if (g.kind === 'NumberLit' && g.isInteger) {
    const item = sel.items[g.value - 1];
    if (!item || item.kind !== 'ExprItem') {
      throw new SluiceError('BIND', `GROUP BY ${g.value} does not name an expression of the SELECT list`, { span: g.span });
    }
    return item.expr;
  }
  if (g.kind === 'ColumnRef' && g.qualifier === undefined && !scope.columns.some((c) => c.name === g.name.name)) {
    const item = items.find((i) => i.alias?.name === g.name.name);
    if (item) return item.expr;
  }
  return g;
}

const PROPERTY_INDEX: Record<string, number> = { START: 0, END: 1, ROWTIME: 2 };

function bindAggregate(
  sel: Select,
  rel: BoundRelation,
  where: BoundExpr | undefined,
  aggAsts: readonly FuncCall[],
  ctx: BindContext,
): { plan: LogicalPlan; override: Override; windowed: boolean } {
  const sql = ctx.sql;
  const keyBinder: ExprBinder = { scope: rel.scope, sql, clause: 'GROUP BY' };
  let groupWindow: FuncCall | undefined;
  const keyAsts: Expr[] = [];
  for (const g of sel.groupBy) {
    if (g.kind === 'FuncCall' && GROUP_WINDOW_FUNCTIONS.has(g.name) && g.over === undefined) {
      if (groupWindow) throw new SluiceError('BIND', 'GROUP BY can hold only one group window', { span: g.span });
      groupWindow = g;
    } else {
      keyAsts.push(resolveGroupItem(g, sel, rel.scope));
    }
  }
  const keyExprs = keyAsts.map((k) => bindExpr(k, keyBinder));

  const aggs: BoundAgg[] = [];
  for (const a of aggAsts) {
    const b = bindAggArg(a, rel.scope, sql);
    if (!aggs.some((x) => sameAgg(x, b))) aggs.push(b);
  }

  // Which window, if any, and over which input.
  let input = rel.plan;
  let windowBase = -1; // TVF form: index of window_start in rel's columns
  let window: WindowDef | undefined;
  let timeExpr: BoundExpr | undefined;
  let partitionExprs: BoundExpr[] = [];
  let windowKind: WindowKind | undefined;
  if (groupWindow) {
    windowKind = groupWindow.name as WindowKind;
    const timeArg = groupWindow.args[0];
    if (!timeArg || timeArg.kind !== 'ColumnRef') {
      throw new SluiceError('BIND', `${windowKind} in GROUP BY takes the time column first: ${windowKind}(time_column, …)`, {
        span: groupWindow.span,
      });
    }
    const t = rel.scope.resolve(timeArg);
    checkTimeColumn(windowKind, t, timeArg.span);
    timeExpr = { kind: 'Column', index: t.index, name: t.name, type: t.type };
    window = windowDef(windowKind, -1, [], groupWindow.args.slice(1), sql, groupWindow.span, false);
    if (windowKind === 'SESSION') partitionExprs = keyExprs;
  } else if (rel.plan.kind === 'WindowTvf') {
    const n = rel.plan.input.schema.length;
    if (keyExprs.some((k) => k.kind === 'Column' && k.index >= n)) {
      windowBase = n;
      window = rel.plan.window;
      windowKind = window.kind;
      input = rel.plan.input;
      timeExpr = { kind: 'Column', index: window.timeCol, name: input.schema[window.timeCol]!.name, type: 'TIMESTAMP' };
      partitionExprs = window.partitionBy.map((p) => {
        const k = keyExprs.find((x) => x.kind === 'Column' && x.index === p);
        if (!k) {
          throw new SluiceError(
            'UNSUPPORTED',
            `GROUP BY must include the SESSION partition column '${input.schema[p]!.name}'`,
            { span: sel.groupBy[0]!.span },
          );
        }
        return k;
      });
      const usesWindowCols = (e: BoundExpr): boolean => [...columnsUsed(e)].some((i) => i >= n);
      if (where && usesWindowCols(where)) {
        throw new SluiceError('UNSUPPORTED', 'WHERE on window_start/window_end before a window aggregation is not supported: use HAVING', {
          span: sel.where!.span,
        });
      }
      keyExprs.forEach((k, i) => {
        if (!(k.kind === 'Column' && k.index >= n) && usesWindowCols(k)) {
          throw new SluiceError('UNSUPPORTED', 'GROUP BY expressions over window columns are not supported: group by window_start, window_end', {
            span: keyAsts[i]!.span,
          });
        }
      });
      aggs.forEach((a) => {
        if (a.arg && usesWindowCols(a.arg)) {
          throw new SluiceError('UNSUPPORTED', 'aggregates over window columns are not supported', { span: a.ast.span });
        }
      });
    }
  }
  const windowed = window !== undefined;
  if (where) input = filterNode(input, where);

  // Pre-projection: every key, aggregate argument and window input as a column.
  const pre: BoundExpr[] = [];
  const preNames: string[] = [];
  const addPre = (e: BoundExpr, name: string): number => {
    let i = pre.findIndex((x) => exprEquals(x, e));
    if (i < 0) {
      pre.push(e);
      preNames.push(name);
      i = pre.length - 1;
    }
    return i;
  };
  const regularKeys: { expr: BoundExpr; pos: number }[] = [];
  keyExprs.forEach((k, i) => {
    if (windowBase >= 0 && k.kind === 'Column' && k.index >= windowBase) return;
    if (regularKeys.some((r) => exprEquals(r.expr, k))) return;
    regularKeys.push({ expr: k, pos: addPre(k, defaultName(keyAsts[i]!, sql)) });
  });
  const aggCalls: AggCall[] = aggs.map((a) => ({
    fn: a.fn,
    arg: a.arg ? addPre(a.arg, a.filter !== undefined ? `filter_arg${pre.length + 1}` : defaultName(a.ast.args[0]!, sql)) : null,
    argType: a.arg?.type ?? null,
    distinct: a.distinct,
    type: a.ast.star ? aggregateType(a.fn, null) : aggregateType(a.fn, a.arg?.type ?? null),
    name: spanText(sql, a.ast.span),
    ...(a.filter !== undefined ? { filter: a.filter } : {}),
  }));
  let node: LogicalPlan;
  if (window) {
    const t = timeExpr!;
    const timeCol = addPre(t, t.kind === 'Column' ? t.name : 'time');
    const partitionBy = partitionExprs.map((p) => regularKeys.find((r) => exprEquals(r.expr, p))!.pos);
    const prePlan = projectNode(input, pre, preNames);
    node = windowAggregateNode(prePlan, { ...window, timeCol, partitionBy }, regularKeys.map((r) => r.pos), aggCalls, ctx.emit);
  } else {
    const prePlan = projectNode(input, pre, preNames);
    node = aggregateNode(prePlan, regularKeys.map((r) => r.pos), aggCalls, ctx.stateTtlMs);
  }
  const keyBase = windowed ? 3 : 0;
  const aggBase = keyBase + regularKeys.length;
  const outCol = (i: number): BoundExpr => ({ kind: 'Column', index: i, name: node.schema[i]!.name, type: node.schema[i]!.type });

  const override: Override = (e) => {
    if (e.kind === 'FuncCall' && e.over === undefined) {
      if (AGGREGATE_FUNCTIONS.has(e.name)) {
        const b = bindAggArg(e, rel.scope, sql);
        const i = aggs.findIndex((x) => sameAgg(x, b));
        return outCol(aggBase + i);
      }
      if (GROUP_WINDOW_PROPERTIES.has(e.name)) {
        const [kind, prop] = e.name.split('_') as [string, string];
        if (!groupWindow || groupWindow.name !== kind) {
          throw new SluiceError('BIND', `${e.name} needs GROUP BY ${kind}(…) with the same arguments`, { span: e.span });
        }
        const same =
          e.args.length === groupWindow.args.length &&
          e.args.every((a, i) => spanText(sql, a.span).replace(/\s+/g, ' ') === spanText(sql, groupWindow!.args[i]!.span).replace(/\s+/g, ' '));
        if (!same) {
          throw new SluiceError('BIND', `${e.name} must repeat the arguments of ${kind}(…) in GROUP BY`, { span: e.span });
        }
        return outCol(PROPERTY_INDEX[prop]!);
      }
      if (GROUP_WINDOW_FUNCTIONS.has(e.name)) {
        throw new SluiceError('BIND', `use ${e.name}_START(…) or ${e.name}_END(…) to select the window bounds`, { span: e.span });
      }
    }
    if (containsAggregate(e)) return undefined;
    let hasProperty = false;
    visitExpr(e, (x) => {
      if (x.kind === 'FuncCall' && (GROUP_WINDOW_PROPERTIES.has(x.name) || GROUP_WINDOW_FUNCTIONS.has(x.name))) hasProperty = true;
    });
    if (hasProperty) return undefined;
    const bound = bindExpr(e, keyBinder);
    if (windowBase >= 0 && bound.kind === 'Column' && bound.index >= windowBase) return outCol(bound.index - windowBase);
    const k = regularKeys.findIndex((r) => exprEquals(r.expr, bound));
    if (k >= 0) return outCol(keyBase + k);
    if (columnsUsed(bound).size === 0 && bound.kind !== 'Param') return bound;
    if (e.kind === 'ColumnRef') {
      const shown = e.qualifier ? `${e.qualifier.name}.${e.name.name}` : e.name.name;
      throw new SluiceError('BIND', `column '${shown}' must appear in GROUP BY or be used in an aggregate function`, { span: e.span });
    }
    return undefined;
  };
  return { plan: node, override, windowed };
}
