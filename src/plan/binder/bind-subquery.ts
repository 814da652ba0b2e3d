/**
 * Subqueries in expressions, planned as joins on the SELECT block's FROM relation before its
 * WHERE is bound:
 * - `[NOT] EXISTS (…)` and `x [NOT] IN (…)` as conditions of WHERE (alone or joined by AND)
 *   become a SemiJoin / AntiJoin on the correlation keys (and the IN probe); NOT IN is
 *   null-aware (see SemiJoinNode). In WHERE a NULL condition drops the row as FALSE does, so
 *   IN needs no third value there.
 * - Anywhere else in WHERE or the SELECT list (under OR, NOT, CASE, as a value) they become a
 *   mark join: every row with one more BOOLEAN column holding the predicate's value (IN's
 *   three-valued), which the expression reads.
 * - A scalar subquery (one aggregate row) in WHERE or the SELECT list becomes a join to that
 *   aggregate: uncorrelated, a CROSS join to the global aggregate; correlated, the aggregate
 *   grouped by the inner correlation keys, LEFT joined on them, so a key with no inner rows
 *   gets what the aggregate gives over no rows (NULL, COUNT 0).
 * Correlation: a conjunct of the subquery's WHERE reading outer columns must be
 * `inner expression = outer expression`; every other use of an outer column is refused.
 */
import type { ColumnRef, Exists, Expr, ExprItem, InSubquery, Query, ScalarSubquery, Select } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import type { SqlType } from '../../types.js';
import { call, lit, type BoundExpr } from '../expr.js';
import { commonType } from '../functions.js';
import type { LogicalPlan } from '../logical-plan.js';
import { aggregateType, joinNode, projectNode, semiJoinNode, windowTvfNode, withColumns } from '../node-builders.js';
import { evaluateConstant } from '../rules/constant-folding.js';
import { AGGREGATE_FUNCTIONS, bindExpr, coerce, containsAggregate, spanText, subqueryForm, visitExpr } from './bind-expr.js';
import { bindFrom } from './bind-from.js';
import { bindQuery } from './bind-query.js';
import { bindSelect } from './bind-select.js';
import type { BindContext, BoundRelation } from './context.js';
import { Scope } from './scope.js';

type Override = (e: Expr) => BoundExpr | undefined;

export interface PlannedSubqueries {
  /** The FROM relation with the semi, anti, mark and scalar subqueries' joins applied. */
  readonly rel: BoundRelation;
  /** WHERE without the conjuncts that became semi/anti joins. */
  readonly where: Expr | undefined;
  /** Binds each remaining subquery (scalar, or EXISTS / IN as a mark) to its value over `rel`. */
  readonly override: Override | undefined;
}

type SubqueryExpr = Exists | InSubquery | ScalarSubquery;

const isSubquery = (e: Expr): e is SubqueryExpr => e.kind === 'Exists' || e.kind === 'InSubquery' || e.kind === 'ScalarSubquery';

/** The subquery expressions directly in `e` (not inside other subqueries). */
function subqueriesIn(e: Expr): SubqueryExpr[] {
  const out: SubqueryExpr[] = [];
  visitExpr(e, (x) => {
    if (isSubquery(x)) out.push(x);
  });
  return out;
}

function conjuncts(e: Expr | undefined): Expr[] {
  if (e === undefined) return [];
  return e.kind === 'Binary' && e.op === 'AND' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

function andAll(parts: readonly Expr[]): Expr | undefined {
  if (parts.length === 0) return undefined;
  return parts.reduce((a, b) => ({ kind: 'Binary', op: 'AND', left: a, right: b, span: { ...a.span, end: b.span.end } }));
}

/** Plans the subqueries of a SELECT block over its bound FROM relation (see the file comment). */
export function planSubqueries(sel: Select, from: BoundRelation, ctx: BindContext): PlannedSubqueries {
  const items = sel.items.flatMap((i) => (i.kind === 'ExprItem' ? [i.expr] : []));
  const inHaving = sel.having ? subqueriesIn(sel.having)[0] : undefined;
  if (inHaving) throw new SluiceError('UNSUPPORTED', `${subqueryForm(inHaving)} in HAVING is not supported`, { span: inHaving.span });
  const inItems = items.flatMap(subqueriesIn);
  const inWhere = sel.where ? subqueriesIn(sel.where) : [];
  if (inItems.length === 0 && inWhere.length === 0) return { rel: from, where: sel.where, override: undefined };
  const aggregating = sel.groupBy.length > 0 || sel.having !== undefined || items.some(containsAggregate);
  if (aggregating && inItems.length > 0) {
    throw new SluiceError('UNSUPPORTED', `${subqueryForm(inItems[0]!)} in the SELECT list of a query with GROUP BY or aggregates is not supported`, {
      span: inItems[0]!.span,
    });
  }

  // Over a window table function the semi joins go below the window assignment, so a
  // GROUP BY window_start, window_end above still sees its window.
  const tvf = from.plan.kind === 'WindowTvf' ? from.plan : undefined;
  const width = tvf ? tvf.input.schema.length : from.plan.schema.length;
  const scope = tvf ? new Scope(from.scope.columns.filter((c) => c.index < width)) : from.scope;
  let plan = tvf ? tvf.input : from.plan;
  const remaining: Expr[] = [];
  for (const c of conjuncts(sel.where)) {
    const negated = c.kind === 'Unary' && c.op === 'NOT';
    const inner = negated ? c.operand : c;
    if (inner.kind === 'Exists') plan = existsJoin(inner.query, negated, plan, scope, ctx);
    else if (inner.kind === 'InSubquery') plan = inJoin(inner.expr, inner.query, inner.negated !== negated, plan, scope, ctx);
    else remaining.push(c);
  }
  if (plan.schema.length > width) {
    // The probe columns the joins appended are not part of the relation.
    const kept = plan.schema.slice(0, width);
    plan = projectNode(plan, kept.map((c, i): BoundExpr => ({ kind: 'Column', index: i, name: c.name, type: c.type })), kept.map((c) => c.name));
  }
  if (tvf) {
    const bad = [...remaining, ...items].flatMap(subqueriesIn)[0];
    if (bad) {
      throw new SluiceError('UNSUPPORTED', `${subqueryForm(bad)} over a window table function is only supported as a WHERE condition`, { span: bad.span });
    }
    if (!plan.appendOnly) {
      throw new SluiceError(
        'UNSUPPORTED',
        'NOT EXISTS / NOT IN, or EXISTS / IN over a changelog, before a window table function is not supported: the window needs an append-only input',
        { span: sel.where!.span },
      );
    }
    plan = windowTvfNode(plan, tvf.window);
  }

  // Elsewhere (inside OR, CASE, the SELECT list…) EXISTS and IN become a column holding
  // their value (a mark join), a scalar subquery the column of its aggregate.
  const values = new Map<Expr, BoundExpr>();
  for (const e of [...remaining, ...items]) {
    for (const s of subqueriesIn(e)) {
      if (s.kind === 'ScalarSubquery') {
        const r = scalarJoin(s, plan, from.scope, ctx);
        plan = r.plan;
        values.set(s, r.value);
        continue;
      }
      const name = `subquery_mark${values.size + 1}`;
      plan =
        s.kind === 'Exists'
          ? existsJoin(s.query, false, plan, from.scope, ctx, name)
          : inJoin(s.expr, s.query, false, plan, from.scope, ctx, name);
      const m: BoundExpr = { kind: 'Column', index: plan.schema.length - 1, name, type: 'BOOLEAN' };
      values.set(s, s.kind === 'InSubquery' && s.negated ? call('not', [m], 'BOOLEAN') : m);
    }
  }
  return {
    rel: { plan, scope: from.scope },
    where: andAll(remaining),
    override: values.size > 0 ? (e) => (isSubquery(e) ? values.get(e) : undefined) : undefined,
  };
}

// ---------------------------------------------------------------------------------------
// Correlation
// ---------------------------------------------------------------------------------------

interface Decorrelated {
  /** The subquery's SELECT block. */
  readonly select: Select;
  /** Its WHERE without the correlation equalities. */
  readonly rest: Expr | undefined;
  /** Per correlation equality: the inner side (AST) and the outer side, bound over the outer scope. */
  readonly inner: readonly Expr[];
  readonly outer: readonly BoundExpr[];
}

function resolves(scope: Scope, ref: ColumnRef): boolean {
  try {
    scope.resolve(ref);
    return true;
  } catch {
    return false;
  }
}

function columnRefs(e: Expr): ColumnRef[] {
  const out: ColumnRef[] = [];
  visitExpr(e, (x) => {
    if (x.kind === 'ColumnRef') out.push(x);
  });
  return out;
}

/**
 * Splits a subquery's correlation from the rest; null when it is not a plain SELECT block
 * with a FROM (a set operation, ORDER BY/LIMIT…), which is then bound as an uncorrelated query.
 */
function decorrelate(q: Query, outer: Scope, ctx: BindContext): Decorrelated | null {
  const sel = q.body;
  if (sel.kind !== 'Select' || q.with.length > 0 || q.orderBy.length > 0 || q.limit || q.offset || !sel.from) return null;
  const innerScope = bindFrom(sel.from, ctx).scope;
  const isOuter = (r: ColumnRef) => !resolves(innerScope, r) && resolves(outer, r);
  const rest: Expr[] = [];
  const inner: Expr[] = [];
  const outerExprs: BoundExpr[] = [];
  for (const c of conjuncts(sel.where)) {
    if (!columnRefs(c).some(isOuter)) {
      rest.push(c);
      continue;
    }
    const sideOf = (e: Expr): 'inner' | 'outer' | 'mixed' => {
      const refs = columnRefs(e);
      if (refs.length > 0 && refs.every(isOuter)) return 'outer';
      return refs.some(isOuter) ? 'mixed' : 'inner';
    };
    if (c.kind === 'Binary' && c.op === '=' && subqueriesIn(c).length === 0) {
      const [l, r] = [sideOf(c.left), sideOf(c.right)];
      const pair = l === 'inner' && r === 'outer' ? [c.left, c.right] : l === 'outer' && r === 'inner' ? [c.right, c.left] : null;
      if (pair && columnRefs(pair[0]!).length > 0) {
        inner.push(pair[0]!);
        outerExprs.push(bindExpr(pair[1]!, { scope: outer, sql: ctx.sql, clause: 'a correlated condition' }));
        continue;
      }
    }
    throw new SluiceError(
      'UNSUPPORTED',
      `correlated condition '${spanText(ctx.sql, c.span).replace(/\s+/g, ' ')}' is not supported: ` +
        'a subquery may use outer columns only in WHERE equalities inner = outer, joined by AND',
      { span: c.span },
    );
  }
  const elsewhere = [
    ...sel.items.flatMap((i) => (i.kind === 'ExprItem' ? [i.expr] : [])),
    ...sel.groupBy,
    ...(sel.having ? [sel.having] : []),
  ].flatMap(columnRefs);
  const stray = elsewhere.find(isOuter);
  if (stray) {
    const what = `outer column '${spanText(ctx.sql, stray.span)}' is used outside the subquery's WHERE`;
    throw new SluiceError('UNSUPPORTED', `${what}: only WHERE equalities inner = outer may correlate`, { span: stray.span });
  }
  return { select: sel, rest: andAll(rest), inner, outer: outerExprs };
}

function isAggregating(sel: Select): boolean {
  return sel.groupBy.length > 0 || sel.having !== undefined || sel.items.some((i) => i.kind === 'ExprItem' && containsAggregate(i.expr));
}

const item = (expr: Expr, name?: string): ExprItem => ({
  kind: 'ExprItem',
  expr,
  alias: name ? { name, quoted: true, span: expr.span } : undefined,
  span: expr.span,
});

/**
 * The inner SELECT of a correlated subquery: the correlation's inner sides first (as columns
 * and, when the subquery aggregates, as extra GROUP BY keys), then `values`.
 */
function correlatedSelect(d: Decorrelated, values: readonly ExprItem[], groupBy: readonly Expr[]): Select {
  return {
    ...d.select,
    distinct: false,
    items: [...d.inner.map((e, i) => item(e, `corr_key${i + 1}`)), ...values],
    where: d.rest,
    groupBy,
  };
}

/**
 * Brings a probe plan and a build plan to common key types: the left keys as columns of
 * `left` (appending the computed ones) and the build side's key columns cast where needed.
 */
function alignKeys(
  left: LogicalPlan,
  probes: readonly BoundExpr[],
  right: LogicalPlan,
  rightKeys: readonly number[],
  form: string,
  span: Expr['span'],
): { left: LogicalPlan; leftKeys: number[]; right: LogicalPlan } {
  const types: SqlType[] = probes.map((p, i) => {
    const t = commonType(p.type, right.schema[rightKeys[i]!]!.type);
    if (t === undefined) {
      throw new SluiceError('TYPE', `${form} compares ${p.type} with ${right.schema[rightKeys[i]!]!.type}`, { span });
    }
    return t === 'NULL' ? 'INT' : t;
  });
  const width = left.schema.length;
  const extra: BoundExpr[] = [];
  const leftKeys = probes.map((p, i) => {
    const e = coerce(p, types[i]!);
    if (e.kind === 'Column') return e.index;
    extra.push(e);
    return width + extra.length - 1;
  });
  left = withColumns(left, extra, extra.map((_, i) => `subquery_probe${i + 1}`));
  if (rightKeys.some((k, i) => right.schema[k]!.type !== types[i])) {
    const cols = right.schema.map((c, j): BoundExpr => {
      const e: BoundExpr = { kind: 'Column', index: j, name: c.name, type: c.type };
      const at = rightKeys.indexOf(j);
      return at >= 0 ? coerce(e, types[at]!) : e;
    });
    right = projectNode(right, cols, right.schema.map((c) => c.name));
  }
  return { left, leftKeys, right };
}

// ---------------------------------------------------------------------------------------
// The three forms
// ---------------------------------------------------------------------------------------

function refuseCorrelatedAggregate(d: Decorrelated, form: string): void {
  if (isAggregating(d.select) && d.select.groupBy.length === 0) {
    throw new SluiceError('UNSUPPORTED', `a correlated ${form} over an aggregate without GROUP BY is not supported`, { span: d.select.span });
  }
}

/** `[NOT] EXISTS (q)` over `left`: a semi or anti join, or with `mark` a mark join adding that column. */
function existsJoin(q: Query, anti: boolean, left: LogicalPlan, scope: Scope, ctx: BindContext, mark?: string): LogicalPlan {
  const d = decorrelate(q, scope, ctx);
  if (d === null || d.inner.length === 0) return semiJoinNode(left, bindQuery(q, ctx).plan, [], [], anti, false, mark);
  refuseCorrelatedAggregate(d, 'EXISTS (SELECT …)');
  const groupBy = isAggregating(d.select) ? [...d.inner, ...d.select.groupBy] : [];
  const right = bindSelect(correlatedSelect(d, [], groupBy), ctx).plan;
  const keys = d.inner.map((_, i) => i);
  const a = alignKeys(left, d.outer, right, keys, 'EXISTS (SELECT …)', q.span);
  return semiJoinNode(a.left, a.right, a.leftKeys, keys, anti, false, mark);
}

/**
 * `x [NOT] IN (q)` over `left`: a semi join, a null-aware anti join, or with `mark` a mark
 * join adding a column with the three-valued `x IN (q)`.
 */
function inJoin(probe: Expr, q: Query, negated: boolean, left: LogicalPlan, scope: Scope, ctx: BindContext, mark?: string): LogicalPlan {
  const form = `${negated ? 'NOT IN' : 'IN'} (SELECT …)`;
  const p = bindExpr(probe, { scope, sql: ctx.sql, clause: `the left side of ${form}` });
  const d = decorrelate(q, scope, ctx);
  let right: LogicalPlan;
  let outer: readonly BoundExpr[] = [];
  if (d === null || d.inner.length === 0) {
    right = bindQuery(q, ctx).plan;
  } else {
    refuseCorrelatedAggregate(d, form);
    const one = d.select.items;
    if (one.length !== 1 || one[0]!.kind !== 'ExprItem') {
      throw new SluiceError('BIND', `${form} needs a subquery of one column, got ${one.length} items`, { span: q.span });
    }
    const groupBy = isAggregating(d.select) ? [...d.inner, ...d.select.groupBy] : [];
    right = bindSelect(correlatedSelect(d, [one[0]], groupBy), ctx).plan;
    outer = d.outer;
  }
  const k = outer.length;
  if (right.schema.length !== k + 1) {
    throw new SluiceError('BIND', `${form} needs a subquery of one column, got ${right.schema.length - k}`, { span: q.span });
  }
  const keys = right.schema.map((_, i) => i);
  const a = alignKeys(left, [...outer, p], right, keys, form, probe.span);
  return semiJoinNode(a.left, a.right, a.leftKeys, keys, negated, negated || mark !== undefined, mark);
}

function scalarJoin(s: ScalarSubquery, left: LogicalPlan, scope: Scope, ctx: BindContext): { plan: LogicalPlan; value: BoundExpr } {
  const q = s.query;
  const sel = q.body;
  const one =
    sel.kind === 'Select' &&
    q.with.length === 0 &&
    q.orderBy.length === 0 &&
    !q.limit &&
    !q.offset &&
    sel.groupBy.length === 0 &&
    sel.having === undefined &&
    !sel.distinct &&
    sel.items.length === 1 &&
    sel.items[0]!.kind === 'ExprItem' &&
    containsAggregate(sel.items[0]!.expr);
  if (!one) {
    throw new SluiceError(
      'UNSUPPORTED',
      'a scalar subquery must compute one aggregate row: (SELECT agg(…) FROM … [WHERE …]) without GROUP BY, HAVING, DISTINCT or LIMIT',
      { span: s.span },
    );
  }
  const width = left.schema.length;
  const d = decorrelate(q, scope, ctx);
  if (d === null || d.inner.length === 0) {
    const right = bindQuery(q, ctx).plan;
    const plan = joinNode('CROSS', left, right, [], [], null, ctx.stateTtlMs ?? null, 'CHANGES');
    return { plan, value: { kind: 'Column', index: width, name: right.schema[0]!.name, type: right.schema[0]!.type } };
  }
  const valueItem = sel.items[0] as ExprItem;
  const present = item({ kind: 'BoolLit', value: true, span: s.span }, 'subquery_present');
  const right = bindSelect(correlatedSelect(d, [valueItem, present], d.inner), ctx).plan;
  const keys = d.inner.map((_, i) => i);
  const a = alignKeys(left, d.outer, right, keys, 'a scalar subquery', s.span);
  const plan = joinNode('LEFT', a.left, a.right, a.leftKeys, keys, null, ctx.stateTtlMs ?? null, 'CHANGES');
  const base = a.left.schema.length;
  const vType = a.right.schema[keys.length]!.type;
  const value: BoundExpr = { kind: 'Column', index: base + keys.length, name: a.right.schema[keys.length]!.name, type: vType };
  // What the aggregate gives over no rows (COUNT 0, others NULL), for keys without inner rows.
  const empty = evaluateConstant(
    coerce(
      bindExpr(valueItem.expr, {
        scope: bindFrom(sel.from!, ctx).scope,
        sql: ctx.sql,
        clause: 'a scalar subquery',
        override: (e) => {
          if (e.kind !== 'FuncCall' || e.over !== undefined || !AGGREGATE_FUNCTIONS.has(e.name)) return undefined;
          return e.name === 'COUNT' ? lit(0, 'BIGINT') : lit(null, aggregateType(e.name as 'SUM', null));
        },
      }),
      vType,
    ),
  );
  if (empty === null || empty === undefined) return { plan, value };
  const presentCol: BoundExpr = { kind: 'Column', index: base + keys.length + 1, name: 'subquery_present', type: 'BOOLEAN' };
  return {
    plan,
    value: { kind: 'Case', whens: [{ when: call('is_null', [presentCol], 'BOOLEAN'), then: lit(empty, vType) }], else: value, type: vType },
  };
}
