/** Binds FROM items: sources, views, CTEs, subqueries, window table functions and joins. */
import type { FromItem, Join, TableRef, WindowTvf } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import { sourceSchema } from '../../catalog/definitions.js';
import { call, col, columnsUsed, mapColumns, type BoundExpr } from '../expr.js';
import { formatExpr } from '../format-expr.js';
import { joinNode, projectNode, withColumns, scanNode, viewScanNode, windowTvfNode } from '../node-builders.js';
import { bindExpr, coerce, requireBoolean, resolveCall } from './bind-expr.js';
import { evaluateConstant, foldExpr } from '../rules/constant-folding.js';
import type { LogicalPlan, ReplayLimit } from '../logical-plan.js';
import { bindMatchRecognize } from './bind-match-recognize.js';
import { bindQuery } from './bind-query.js';
import { bindTemporalJoin } from './bind-temporal-join.js';
import { checkTimeColumn, windowDef } from './bind-window.js';
import type { BindContext, BoundRelation } from './context.js';
import { Scope } from './scope.js';
import { closest } from './suggest.js';

export function bindFrom(item: FromItem, ctx: BindContext): BoundRelation {
  switch (item.kind) {
    case 'TableRef':
      return bindTableRef(item, ctx);
    case 'SubqueryRef': {
      if (item.query.emit) {
        throw new SluiceError('BIND', 'EMIT belongs at the end of the outermost query', { span: item.query.emit.span });
      }
      const r = bindQuery(item.query, ctx);
      return { plan: r.plan, scope: r.scope.withQualifier(item.alias?.name) };
    }
    case 'WindowTvf':
      return bindWindowTvf(item, ctx);
    case 'ChangesRef':
      throw new SluiceError('UNSUPPORTED', `CHANGES(${item.name.name}) (a view's change history) is not supported yet`, {
        span: item.span,
      });
    case 'Join':
      return bindJoin(item, ctx);
    case 'MatchRecognize':
      return bindMatchRecognize(item, ctx);
  }
}

function bindTableRef(ref: TableRef, ctx: BindContext): BoundRelation {
  const name = ref.name.name;
  const qualifier = ref.alias?.name ?? name;
  if (ref.systemTime) {
    throw new SluiceError('UNSUPPORTED', 'FOR SYSTEM_TIME AS OF is only supported on the right side of a JOIN (a temporal join)', { span: ref.systemTime.span });
  }
  if (ref.asOf) ctx = { ...ctx, asOf: asOfLimit(ref, ctx) };
  const cte = ctx.ctes.get(name);
  if (cte) return { plan: cte.plan, scope: cte.scope.withQualifier(qualifier) };
  const entry = ctx.catalog.get(name);
  if (!entry) {
    if (ctx.catalog.isSystemTable(name)) {
      throw new SluiceError('BIND', `system table '${name}' can only be read by a pull query (a SELECT over materialized views and system tables)`, {
        span: ref.name.span,
      });
    }
    const names = [...ctx.catalog.all().filter((e) => e.kind !== 'sink').map((e) => e.name), ...ctx.ctes.keys()];
    const hint = closest(name, names);
    throw new SluiceError('BIND', `unknown source or view '${name}'${hint ? `: did you mean '${hint}'?` : ''}`, { span: ref.name.span });
  }
  switch (entry.kind) {
    case 'source': {
      const schema = sourceSchema(entry);
      const cols = schema.map((_, i) => i);
      const wmCol = entry.watermark ? schema.findIndex((c) => c.name === entry.watermark!.column) : -1;
      if (ctx.asOf?.by === 'TIMESTAMP' && !entry.watermark) {
        throw new SluiceError('BIND', `AS OF TIMESTAMP needs an event-time column: source '${entry.name}' has no WATERMARK`, { span: ref.name.span });
      }
      const plan = scanNode(entry.name, schema, cols, wmCol >= 0 ? { column: wmCol, delayMs: entry.watermark!.delayMs } : null, ctx.asOf);
      return { plan, scope: Scope.of(plan.schema, qualifier) };
    }
    case 'view': {
      if (entry.materialized && !ctx.asOf) {
        const plan = viewScanNode(entry.name, entry, entry.schema.map((_, i) => i));
        return { plan, scope: Scope.of(plan.schema, qualifier) };
      }
      if (ctx.expanding.has(name)) {
        throw new SluiceError('BIND', `view '${name}' refers to itself`, { span: ref.name.span });
      }
      const r = bindQuery(entry.query, {
        catalog: ctx.catalog,
        sql: entry.sql,
        ctes: new Map(),
        emit: entry.query.emit?.mode ?? ctx.emit,
        expanding: new Set([...ctx.expanding, name]),
        ...(ctx.asOf ? { asOf: ctx.asOf } : {}),
        ...(ctx.stateTtlMs !== undefined ? { stateTtlMs: ctx.stateTtlMs } : {}),
      });
      return { plan: r.plan, scope: r.scope.withQualifier(qualifier) };
    }
    case 'sink':
      throw new SluiceError('BIND', `'${name}' is a sink: it can be written to, not read`, { span: ref.name.span });
  }
}

/** The replay limit of `AS OF TIMESTAMP '…'` or `AS OF OFFSET n`. */
function asOfLimit(ref: TableRef, ctx: BindContext): ReplayLimit {
  const a = ref.asOf!;
  if (ctx.asOf) throw new SluiceError('BIND', 'AS OF cannot be nested in another AS OF', { span: a.span });
  if (ctx.catalog.get(ref.name.name)?.kind === 'sink') throw new SluiceError('BIND', 'AS OF reads a source or a view', { span: a.span });
  const b = bindExpr(a.value, { scope: new Scope([]), sql: ctx.sql, clause: 'AS OF' });
  if (a.by === 'TIMESTAMP') {
    const v = evaluateConstant(coerce(b, 'TIMESTAMP'));
    if (typeof v !== 'number') throw new SluiceError('TYPE', "AS OF TIMESTAMP needs a constant timestamp such as '2024-01-01 00:00:10'", { span: a.value.span });
    return { by: 'TIMESTAMP', value: v };
  }
  const v = evaluateConstant(b);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new SluiceError('TYPE', 'AS OF OFFSET needs a constant whole number', { span: a.value.span });
  }
  return { by: 'OFFSET', value: v };
}

function bindWindowTvf(tvf: WindowTvf, ctx: BindContext): BoundRelation {
  // Over a changelog input the window aggregates retract: a -D or -U row leaves its windows.
  const input = bindFrom(tvf.input, ctx);
  const taken = input.plan.schema.find((c) => c.name === 'window_start' || c.name === 'window_end' || c.name === 'window_time');
  if (taken) {
    throw new SluiceError(
      'BIND',
      `the input of ${tvf.fn} already has a column named ${taken.name}: rename it (${taken.name} AS ws) before windowing again`,
      { span: tvf.fnSpan },
    );
  }
  const time = input.scope.resolve(tvf.timeCol);
  checkTimeColumn(tvf.fn, time, tvf.timeCol.span);
  const partitionBy = tvf.partitionBy.map((p) => input.scope.resolve(p).index);
  if (tvf.fn !== 'SESSION' && partitionBy.length > 0) {
    throw new SluiceError('BIND', `PARTITION BY is only allowed in SESSION windows`, { span: tvf.partitionBy[0]!.span });
  }
  const def = windowDef(tvf.fn, time.index, partitionBy, tvf.args, ctx.sql, tvf.span, true);
  const plan = windowTvfNode(input.plan, def);
  const qualifier = tvf.alias?.name ?? (tvf.input.kind === 'TableRef' ? (tvf.input.alias?.name ?? tvf.input.name.name) : tvf.input.alias?.name);
  const scope = new Scope([
    ...input.scope.columns.map((c) => ({ ...c, qualifier })),
    ...plan.schema.slice(input.plan.schema.length).map((c, i) => ({
      qualifier,
      name: c.name,
      type: c.type,
      index: input.plan.schema.length + i,
      timeAttr: true,
      hidden: false,
    })),
  ]);
  return { plan, scope };
}

function bindJoin(j: Join, ctx: BindContext): BoundRelation {
  const temporal = j.right.kind === 'TableRef' && j.right.systemTime ? j.right : null;
  const left = bindFrom(j.left, ctx);
  const right = bindFrom(temporal ? { ...temporal, systemTime: undefined } : j.right, ctx);
  const width = left.plan.schema.length;
  let columns = Scope.concat(left.scope, right.scope, width).columns;
  let condition: BoundExpr | null = null;
  if (j.using.length > 0) {
    const conds: BoundExpr[] = [];
    for (const u of j.using) {
      const ref = { kind: 'ColumnRef' as const, qualifier: undefined, name: u, span: u.span };
      const l = left.scope.resolve(ref);
      const r = right.scope.resolve(ref);
      conds.push(
        resolveCall('eq', [
          { kind: 'Column', index: l.index, name: l.name, type: l.type, ...(l.qualifier !== undefined ? { qualifier: l.qualifier } : {}) },
          { kind: 'Column', index: r.index + width, name: r.name, type: r.type, ...(r.qualifier !== undefined ? { qualifier: r.qualifier } : {}) },
        ], u.span),
      );
      // The right copy is reachable qualified but not by the bare name or `*`.
      columns = columns.map((c) => (c.index === r.index + width ? { ...c, hidden: true } : c));
    }
    condition = conds.reduce((a, b) => call('and', [a, b], 'BOOLEAN'));
  }
  const scope = new Scope(columns);
  if (j.on) condition = requireBoolean(bindExpr(j.on, { scope, sql: ctx.sql, clause: 'a join condition' }), 'ON', j.on.span);
  if (j.joinType !== 'CROSS' && condition === null) {
    throw new SluiceError('BIND', `${j.joinType} JOIN needs ON or USING`, { span: j.span });
  }
  if (temporal) return bindTemporalJoin(j, temporal, left, right, condition, scope, ctx);
  return { plan: equiJoin(j.joinType, left.plan, right.plan, condition, ctx), scope };
}

/**
 * Plans a join on the equalities of its condition that compare one side with the other: a
 * hash join on those keys, the rest a residual checked per matching pair. An equality on
 * expressions (`B.auction % 10000 = S.key`) gets its computed key appended to the side it
 * reads, and a projection over the join drops those columns again, so the output keeps the
 * layout of the two inputs side by side.
 */
function equiJoin(joinType: Join['joinType'], left: LogicalPlan, right: LogicalPlan, cond: BoundExpr | null, ctx: BindContext): LogicalPlan {
  const width = left.schema.length;
  const leftKeys: number[] = [];
  const rightKeys: number[] = [];
  const computedLeft: BoundExpr[] = [];
  const computedRight: BoundExpr[] = [];
  const rest: BoundExpr[] = [];
  const conjuncts = (e: BoundExpr): BoundExpr[] => (e.kind === 'Call' && e.fn === 'and' ? e.args.flatMap(conjuncts) : [e]);
  const side = (e: BoundExpr): 'left' | 'right' | null => {
    const used = [...columnsUsed(e)];
    if (used.length === 0) return null;
    if (used.every((c) => c < width)) return 'left';
    return used.every((c) => c >= width) ? 'right' : null;
  };
  // A key is a column of its side, or the expression appended to it (right ones re-based at 0).
  const keyOf = (e: BoundExpr, onLeft: boolean): number => {
    if (e.kind === 'Column') return onLeft ? e.index : e.index - width;
    e = foldExpr(e);
    if (onLeft) return width + computedLeft.push(e) - 1;
    return right.schema.length + computedRight.push(mapColumns(e, (c) => ({ ...c, index: c.index - width }))) - 1;
  };
  for (const c of cond ? conjuncts(cond) : []) {
    if (c.kind === 'Call' && c.fn === 'eq') {
      const [a, b] = [c.args[0]!, c.args[1]!];
      const [sa, sb] = [side(a), side(b)];
      if (sa !== null && sb !== null && sa !== sb) {
        const [l, r] = sa === 'left' ? [a, b] : [b, a];
        leftKeys.push(keyOf(l, true));
        rightKeys.push(keyOf(r, false));
        continue;
      }
    }
    rest.push(c);
  }
  const shift = computedLeft.length;
  const residual = rest.length === 0 ? null : mapColumns(rest.reduce((a, b) => call('and', [a, b], 'BOOLEAN')), (c) => (c.index >= width ? { ...c, index: c.index + shift } : c));
  // The computed keys are named by their text (EXPLAIN shows them so).
  const leftIn = withColumns(left, computedLeft, computedLeft.map((e) => formatExpr(e, left.schema)));
  const rightIn = withColumns(right, computedRight, computedRight.map((e) => formatExpr(e, right.schema)));
  const join = joinNode(joinType, leftIn, rightIn, leftKeys, rightKeys, residual, ctx.stateTtlMs ?? null, ctx.emit);
  if (computedLeft.length === 0 && computedRight.length === 0) return join;
  const keep = [...left.schema.map((_, i) => i), ...right.schema.map((_, j) => leftIn.schema.length + j)];
  return projectNode(join, keep.map((i) => col(i, join.schema[i]!.name, join.schema[i]!.type)), keep.map((i) => join.schema[i]!.name));
}

