/** Binds whole queries: CTEs, set operations, ORDER BY, LIMIT and OFFSET. */
import type { Query, SetExpr } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import { isBounded } from '../../catalog/definitions.js';
import type { Catalog } from '../../catalog/catalog.js';
import type { SqlType } from '../../types.js';
import { commonType } from '../functions.js';
import type { BoundExpr } from '../expr.js';
import { walkPlan, type AggCall, type LogicalPlan, type SortKey } from '../logical-plan.js';
import { aggregateNode, projectNode, setOpNode, topNNode, unionAllNode } from '../node-builders.js';
import { evaluateConstant } from '../rules/constant-folding.js';
import { bindExpr, coerce } from './bind-expr.js';
import { bindSelect } from './bind-select.js';
import type { BindContext, BoundRelation } from './context.js';
import { Scope } from './scope.js';

export function bindQuery(q: Query, ctx: BindContext): BoundRelation {
  const ctes = new Map(ctx.ctes);
  for (const cte of q.with) {
    if (cte.query.emit) {
      throw new SluiceError('BIND', 'EMIT belongs at the end of the outermost query', { span: cte.query.emit.span });
    }
    const r = bindQuery(cte.query, { ...ctx, ctes });
    let scope = r.scope;
    let plan = r.plan;
    if (cte.columns.length > 0) {
      if (cte.columns.length !== plan.schema.length) {
        throw new SluiceError(
          'BIND',
          `WITH ${cte.name.name} names ${cte.columns.length} columns but its query has ${plan.schema.length}`,
          { span: cte.span },
        );
      }
      plan = projectNode(
        plan,
        plan.schema.map((c, i) => ({ kind: 'Column', index: i, name: c.name, type: c.type })),
        cte.columns.map((c) => c.name),
      );
      scope = Scope.of(plan.schema, undefined);
    }
    ctes.set(cte.name.name, { plan, scope });
  }
  const inner: BindContext = { ...ctx, ctes };
  let rel = bindSetExpr(q.body, inner);
  if (q.orderBy.length > 0 || q.limit || q.offset) {
    const orderBy: SortKey[] = q.orderBy.map((o) => {
      let column: number;
      if (o.expr.kind === 'NumberLit' && o.expr.isInteger) {
        column = o.expr.value - 1;
        if (column < 0 || column >= rel.plan.schema.length) {
          throw new SluiceError('BIND', `ORDER BY ${o.expr.value} is out of range: the query has ${rel.plan.schema.length} columns`, {
            span: o.expr.span,
          });
        }
      } else {
        let b;
        try {
          b = bindExpr(o.expr, { scope: rel.scope, sql: ctx.sql, clause: 'ORDER BY' });
        } catch (e) {
          if (e instanceof SluiceError && e.code === 'BIND' && o.expr.kind !== 'ColumnRef') {
            throw new SluiceError('UNSUPPORTED', 'ORDER BY must name an output column of the query (or its position)', { span: o.expr.span });
          }
          throw e;
        }
        if (b.kind !== 'Column') {
          throw new SluiceError('UNSUPPORTED', 'ORDER BY must name an output column of the query (or its position)', { span: o.expr.span });
        }
        column = b.index;
      }
      return { column, desc: o.desc, nullsFirst: o.nulls === 'FIRST' };
    });
    let limit: number | null = null;
    if (q.limit) {
      const v = evaluateConstant(bindExpr(q.limit, { scope: new Scope([]), sql: ctx.sql, clause: 'LIMIT' }));
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new SluiceError('BIND', 'LIMIT needs a constant whole number', { span: q.limit.span });
      }
      limit = v;
    }
    let offset = 0;
    if (q.offset) {
      const v = evaluateConstant(bindExpr(q.offset, { scope: new Scope([]), sql: ctx.sql, clause: 'OFFSET' }));
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new SluiceError('BIND', 'OFFSET needs a constant whole number', { span: q.offset.span });
      }
      offset = v;
    }
    if (limit === null && !isBoundedPlan(rel.plan, ctx.catalog)) {
      const why =
        q.orderBy.length > 0
          ? 'ORDER BY on an unbounded stream needs a LIMIT (a sorted result of an endless stream never completes)'
          : 'OFFSET on an unbounded stream needs a LIMIT (the rows after the offset of an endless stream never end)';
      throw new SluiceError('BIND', why, { span: q.orderBy[0]?.span ?? q.offset!.span });
    }
    const plan = topNNode(rel.plan, orderBy, limit, [], null, offset);
    rel = { plan, scope: rel.scope };
  }
  return rel;
}

function bindSetExpr(s: SetExpr, ctx: BindContext): BoundRelation {
  if (s.kind === 'Select') return bindSelect(s, ctx);
  const inputs: LogicalPlan[] = [];
  if (s.op === 'UNION') {
    const flatten = (x: SetExpr): void => {
      if (x.kind === 'SetOp' && x.op === 'UNION' && x.all === s.all) {
        flatten(x.left);
        flatten(x.right);
      } else {
        inputs.push(bindSetExpr(x, ctx).plan);
      }
    };
    flatten(s.left);
    flatten(s.right);
  } else {
    inputs.push(bindSetExpr(s.left, ctx).plan, bindSetExpr(s.right, ctx).plan);
  }
  const width = inputs[0]!.schema.length;
  for (const p of inputs) {
    if (p.schema.length !== width) {
      throw new SluiceError('BIND', `${s.op} inputs have different numbers of columns (${width} and ${p.schema.length})`, { span: s.span });
    }
  }
  const types: SqlType[] = inputs[0]!.schema.map((c) => c.type);
  for (const p of inputs.slice(1)) {
    p.schema.forEach((c, i) => {
      const t = commonType(types[i]!, c.type);
      if (t === undefined) {
        throw new SluiceError('TYPE', `${s.op} column ${i + 1} ('${inputs[0]!.schema[i]!.name}') mixes ${types[i]} and ${c.type}`, {
          span: s.span,
        });
      }
      types[i] = t;
    });
  }
  const names = inputs[0]!.schema.map((c) => c.name);
  const columns = (p: LogicalPlan): BoundExpr[] =>
    p.schema.map((c, i) => coerce({ kind: 'Column', index: i, name: c.name, type: c.type }, types[i]!));
  if (s.op !== 'UNION') {
    // Each side's rows tagged with which side they came from; an aggregate over both counts
    // every distinct row per side (retractions included), which is all INTERSECT and EXCEPT need.
    const one = (v: number): BoundExpr => ({ kind: 'Literal', value: v, type: 'BIGINT' });
    const tagged = inputs.map((p, side) =>
      projectNode(p, [...columns(p), one(side === 0 ? 1 : 0), one(side === 0 ? 0 : 1)], [...names, 'left_count', 'right_count']),
    );
    const schema = tagged[0]!.schema.map((c) => ({ name: c.name, type: c.type }));
    const count = (arg: number, name: string): AggCall => ({ fn: 'SUM', arg, argType: 'BIGINT', distinct: false, type: 'BIGINT', name });
    const counts = aggregateNode(unionAllNode(tagged, schema), names.map((_, i) => i), [
      count(width, 'left_count'),
      count(width + 1, 'right_count'),
    ]);
    const plan = setOpNode(s.op, s.all, counts);
    return { plan, scope: Scope.of(plan.schema, undefined) };
  }
  const aligned = inputs.map((p) => (p.schema.every((c, i) => c.type === types[i]) ? p : projectNode(p, columns(p), p.schema.map((c) => c.name))));
  const schema = names.map((name, i) => ({
    name,
    type: types[i]!,
    timeAttr: aligned.every((p) => p.schema[i]!.timeAttr === true),
  }));
  let plan: LogicalPlan = unionAllNode(aligned, schema);
  if (!s.all) plan = aggregateNode(plan, schema.map((_, i) => i), []);
  return { plan, scope: Scope.of(plan.schema, undefined) };
}

/** Whether every input of a plan ends (bounded file or generator sources, AS OF reads, constant rows). */
export function isBoundedPlan(plan: LogicalPlan, catalog: Catalog): boolean {
  let bounded = true;
  walkPlan(plan, (n) => {
    if (n.kind === 'Scan') {
      // An AS OF read stops at its point, whatever the source.
      if (n.until) return;
      const def = catalog.source(n.source);
      if (!def || !isBounded(def)) bounded = false;
    } else if (n.kind === 'ViewScan') {
      if (!isBoundedView(n.view, catalog, new Set())) bounded = false;
    }
  });
  return bounded;
}

function isBoundedView(name: string, catalog: Catalog, seen: Set<string>): boolean {
  if (seen.has(name)) return false;
  seen.add(name);
  const def = catalog.get(name);
  if (!def) return false;
  if (def.kind === 'source') return isBounded(def);
  if (def.kind === 'view') return def.dependsOn.every((d) => isBoundedView(d, catalog, seen));
  return false;
}
