/**
 * Binds the window functions (… OVER (…)) of one SELECT: ranking, aggregates and navigation
 * functions (LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE). Calls that share an OVER
 * specification (partition, order and frame) share one Over node; several specifications
 * become a chain of Over nodes, each adding its columns to the rows of the one below.
 */
import type { Expr, FuncCall } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import type { SqlType } from '../../types.js';
import { exprEquals, type BoundExpr } from '../expr.js';
import { commonType } from '../functions.js';
import type { AggFn, AnalyticFn, LogicalPlan, OverCall, OverFn, OverFrame, SortKey } from '../logical-plan.js';
import { aggregateType, overNode, projectNode } from '../node-builders.js';
import { evaluateConstant } from '../rules/constant-folding.js';
import { AGGREGATE_FUNCTIONS, ANALYTIC_FUNCTIONS, bindExpr, coerce, RANKING_FUNCTIONS, spanText, type ExprBinder } from './bind-expr.js';
import type { BindContext } from './context.js';
import { Scope } from './scope.js';

type Override = (e: Expr) => BoundExpr | undefined;

/** How an aggregate call's argument binds (the SELECT binder's, shared with GROUP BY). */
export type AggArgBinder = (c: FuncCall) => { fn: AggFn; distinct: boolean; arg: BoundExpr | null };

function frameOf(call: FuncCall, orderType: SqlType | undefined, sql: string): OverFrame {
  const f = call.over!.frame;
  if (!f) {
    return call.over!.orderBy.length > 0
      ? { unit: 'RANGE', preceding: null, following: 0 }
      : { unit: 'ROWS', preceding: null, following: null };
  }
  const empty = new Scope([]);
  const offset = (b: typeof f.start): number | null => {
    if (b.kind === 'UnboundedPreceding' || b.kind === 'UnboundedFollowing') return null;
    if (b.kind === 'CurrentRow') return 0;
    const v = evaluateConstant(bindExpr(b.offset, { scope: empty, sql, clause: 'a frame bound' }));
    const ok = typeof v === 'number' && v >= 0 && (f.unit === 'RANGE' || Number.isInteger(v));
    if (!ok) {
      throw new SluiceError('BIND', `a ${f.unit} frame offset must be a constant ${f.unit === 'ROWS' ? 'whole number' : 'non-negative value'}`, {
        span: b.span,
      });
    }
    if (f.unit === 'RANGE' && orderType === 'TIMESTAMP' && b.offset.kind !== 'IntervalLit') {
      throw new SluiceError('TYPE', 'a RANGE frame over a TIMESTAMP needs an INTERVAL offset', { span: b.span });
    }
    return v as number;
  };
  if (f.start.kind === 'UnboundedFollowing') {
    throw new SluiceError('BIND', 'a frame cannot start at UNBOUNDED FOLLOWING', { span: f.start.span });
  }
  if (f.end.kind === 'UnboundedPreceding') {
    throw new SluiceError('BIND', 'a frame cannot end at UNBOUNDED PRECEDING', { span: f.end.span });
  }
  const preceding = f.start.kind === 'Following' ? -(offset(f.start) ?? 0) : offset(f.start);
  const following = f.end.kind === 'Preceding' ? -(offset(f.end) ?? 0) : offset(f.end);
  return { unit: f.unit, preceding, following };
}

/** A constant whole number argument (LAG's offset, NTH_VALUE's n) of at least `min`. */
function constantCount(c: FuncCall, a: Expr, min: number, what: string, sql: string): number {
  const v = evaluateConstant(bindExpr(a, { scope: new Scope([]), sql, clause: `the ${what} of ${c.name}` }));
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new SluiceError('BIND', `the ${what} of ${c.name} must be a constant whole number${min > 0 ? ` of at least ${min}` : ' (0 or more)'}`, {
      span: a.span,
    });
  }
  return v;
}

interface Spec {
  readonly partitionBy: number[];
  readonly orderBy: SortKey[];
  readonly frame: OverFrame;
  readonly calls: OverCall[];
  /** The ASTs of the calls, in the same order. */
  readonly asts: FuncCall[];
}

export function bindOver(
  input: LogicalPlan,
  scope: Scope,
  calls: readonly FuncCall[],
  ctx: BindContext,
  bindAggArg: AggArgBinder,
  groups?: Override,
): { plan: LogicalPlan; override: Override } {
  const sql = ctx.sql;
  // `groups`: the input is a GROUP BY's output, which the expressions reach through it.
  const binder: ExprBinder = { scope, sql, clause: 'OVER', override: groups };
  const pre: BoundExpr[] = input.schema.map((c, i) => ({ kind: 'Column', index: i, name: c.name, type: c.type }));
  const names = input.schema.map((c) => c.name);
  const addPre = (e: BoundExpr): number => {
    let i = pre.findIndex((x) => exprEquals(x, e));
    if (i < 0) {
      pre.push(e);
      names.push(`over_arg${pre.length}`);
      i = pre.length - 1;
    }
    return i;
  };
  const specs: Spec[] = [];
  const seen = new Set<string>();
  for (const c of calls) {
    const text = spanText(sql, c.span);
    if (seen.has(text)) continue;
    seen.add(text);
    const w = c.over!;
    const partitionBy = w.partitionBy.map((p) => addPre(bindExpr(p, binder)));
    const orderExprs = w.orderBy.map((o) => bindExpr(o.expr, binder));
    const orderBy: SortKey[] = w.orderBy.map((o, i) => ({ column: addPre(orderExprs[i]!), desc: o.desc, nullsFirst: o.nulls === 'FIRST' }));
    const frame = frameOf(c, orderExprs[0]?.type, sql);
    if (frame.unit === 'RANGE' && ((frame.preceding !== null && frame.preceding !== 0) || (frame.following !== null && frame.following !== 0)) && orderBy.length !== 1) {
      throw new SluiceError('BIND', 'a RANGE frame with an offset needs exactly one ORDER BY column', { span: w.span });
    }
    const call = bindCall(c, w.orderBy.length > 0, binder, addPre, bindAggArg);
    const key = JSON.stringify([partitionBy, orderBy, frame]);
    let spec = specs.find((s) => JSON.stringify([s.partitionBy, s.orderBy, s.frame]) === key);
    if (!spec) specs.push((spec = { partitionBy, orderBy, frame, calls: [], asts: [] }));
    spec.calls.push(call);
    spec.asts.push(c);
  }
  const prePlan = pre.length > input.schema.length ? projectNode(input, pre, names) : input;
  // Specifications ordered by event time go first: over an append-only input they emit
  // append-only rows, which keeps the next node append-only too.
  const byTime = (s: Spec) =>
    s.orderBy.length === 1 && !s.orderBy[0]!.desc && prePlan.schema[s.orderBy[0]!.column]!.timeAttr === true && !s.calls.some((c) => RANKING_FUNCTIONS.has(c.fn));
  const ordered = [...specs.filter(byTime), ...specs.filter((s) => !byTime(s))];
  let plan: LogicalPlan = prePlan;
  const columnOf = new Map<string, number>();
  for (const s of ordered) {
    const base = plan.schema.length;
    const node = overNode(plan, s.partitionBy, s.orderBy, s.frame, s.calls);
    refuseEndless(node.appendOnly, s);
    s.asts.forEach((a, i) => columnOf.set(spanText(sql, a.span), base + i));
    plan = node;
  }
  const out = plan;
  const override: Override = (e) => {
    if (e.kind !== 'FuncCall' || e.over === undefined) return undefined;
    const i = columnOf.get(spanText(sql, e.span))!;
    return { kind: 'Column', index: i, name: out.schema[i]!.name, type: out.schema[i]!.type };
  };
  return { plan: out, override };
}

/** On an append-only stream a frame reaching UNBOUNDED FOLLOWING would hold every row until the input ends. */
function refuseEndless(appendOnly: boolean, s: Spec): void {
  if (!appendOnly || s.frame.following !== null) return;
  const at = s.calls.findIndex((c) => c.fn !== 'LAG' && c.fn !== 'LEAD');
  if (at < 0) return;
  throw new SluiceError(
    'UNSUPPORTED',
    `${s.asts[at]!.name} OVER a frame ending at UNBOUNDED FOLLOWING on a stream: no row could be emitted before the input ends (use n FOLLOWING)`,
    { span: s.asts[at]!.over!.span },
  );
}

function bindCall(c: FuncCall, ordered: boolean, binder: ExprBinder, addPre: (e: BoundExpr) => number, bindAggArg: AggArgBinder): OverCall {
  const sql = binder.sql;
  const name = spanText(sql, c.span);
  if (RANKING_FUNCTIONS.has(c.name)) {
    if (c.filter) throw new SluiceError('BIND', `FILTER (WHERE …) is only allowed on aggregate functions, not on ${c.name}()`, { span: c.filter.span });
    if (c.args.length > 0) throw new SluiceError('BIND', `${c.name}() takes no arguments`, { span: c.span });
    if (!ordered) throw new SluiceError('BIND', `${c.name}() needs ORDER BY in its OVER clause`, { span: c.over!.span });
    return { fn: c.name as OverFn, arg: null, type: 'BIGINT', name };
  }
  if (AGGREGATE_FUNCTIONS.has(c.name)) {
    const b = bindAggArg(c);
    if (b.distinct) throw new SluiceError('UNSUPPORTED', `${c.name}(DISTINCT …) OVER is not supported`, { span: c.span });
    const type = c.star ? aggregateType(b.fn, null) : aggregateType(b.fn, b.arg?.type ?? null);
    return { fn: b.fn, arg: b.arg ? addPre(b.arg) : null, type, name };
  }
  if (ANALYTIC_FUNCTIONS.has(c.name)) return bindAnalytic(c, ordered, binder, addPre, name);
  throw new SluiceError(
    'BIND',
    `${c.name} is not a window function (use ROW_NUMBER, RANK, DENSE_RANK, LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE or an aggregate)`,
    { span: c.nameSpan },
  );
}

function bindAnalytic(c: FuncCall, ordered: boolean, binder: ExprBinder, addPre: (e: BoundExpr) => number, name: string): OverCall {
  const call = bindNavigation(c, ordered, binder, addPre, name);
  return c.nullTreatment?.ignore === true ? { ...call, ignoreNulls: true } : call;
}

function bindNavigation(c: FuncCall, ordered: boolean, binder: ExprBinder, addPre: (e: BoundExpr) => number, name: string): OverCall {
  const sql = binder.sql;
  const fn = c.name as AnalyticFn;
  if (c.filter) throw new SluiceError('BIND', `FILTER (WHERE …) is only allowed on aggregate functions, not on ${fn}`, { span: c.filter.span });
  if (c.distinct || c.star) throw new SluiceError('BIND', `${fn} takes a value, not ${c.star ? '*' : 'DISTINCT'}`, { span: c.span });
  if (!ordered) {
    throw new SluiceError('BIND', `${fn} needs ORDER BY in its OVER clause: without it the rows of a stream have no order`, { span: c.over!.span });
  }
  const [min, max, usage] =
    fn === 'LAG' || fn === 'LEAD' ? [1, 3, `${fn}(value [, offset [, default]])`] : fn === 'NTH_VALUE' ? [2, 2, 'NTH_VALUE(value, n)'] : [1, 1, `${fn}(value)`];
  if (c.args.length < min || c.args.length > max) {
    throw new SluiceError('BIND', `${fn} takes ${usage}, got ${c.args.length} argument${c.args.length === 1 ? '' : 's'}`, { span: c.span });
  }
  const value = bindExpr(c.args[0]!, { ...binder, clause: `the argument of ${fn}` });
  if (fn === 'NTH_VALUE') {
    const n = constantCount(c, c.args[1]!, 1, 'n', sql);
    return { fn, arg: addPre(value), type: value.type, name, offset: n };
  }
  if (fn !== 'LAG' && fn !== 'LEAD') return { fn, arg: addPre(value), type: value.type, name };
  const offset = c.args.length > 1 ? constantCount(c, c.args[1]!, 0, 'offset', sql) : 1;
  if (c.args.length < 3) return { fn, arg: addPre(value), type: value.type, name, offset, defaultArg: null };
  const def = bindExpr(c.args[2]!, { ...binder, clause: `the default of ${fn}` });
  const type = commonType(value.type, def.type);
  if (type === undefined) {
    throw new SluiceError('TYPE', `the default of ${fn} must have the type of its value (${value.type}), got ${def.type}`, { span: c.args[2]!.span });
  }
  return { fn, arg: addPre(coerce(value, type)), type, name, offset, defaultArg: addPre(coerce(def, type)) };
}
