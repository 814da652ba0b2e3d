/**
 * Binds an event-time temporal join, `l JOIN r FOR SYSTEM_TIME AS OF l.t ON l.k = r.k`
 * (Flink's spelling, SPEC 2.7). The right side must be versioned: a source with a stream key
 * (`WITH (key = …)`) or a view with a key (its GROUP BY columns, or `WITH (primary_key = …)`);
 * ON must equate every key column with a left column. A version's time is the right side's
 * event-time column: a source's WATERMARK column; for a view, its one event-time column, else
 * its one TIMESTAMP column outside the key.
 */
import type { Expr, Join, TableRef } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import { streamKeyOf } from '../../catalog/stream-key.js';
import { call, type BoundExpr } from '../expr.js';
import type { LogicalPlan } from '../logical-plan.js';
import { temporalJoinNode } from '../node-builders.js';
import { bindExpr } from './bind-expr.js';
import type { BindContext, BoundRelation } from './context.js';
import type { Scope } from './scope.js';

export function bindTemporalJoin(
  j: Join,
  ref: TableRef,
  left: BoundRelation,
  right: BoundRelation,
  condition: BoundExpr | null,
  scope: Scope,
  ctx: BindContext,
): BoundRelation {
  const name = ref.name.name;
  const span = ref.systemTime!.span;
  if (j.joinType !== 'INNER' && j.joinType !== 'LEFT') {
    throw new SluiceError('UNSUPPORTED', `${j.joinType} JOIN … FOR SYSTEM_TIME AS OF is not supported: a temporal join is INNER or LEFT`, { span: j.span });
  }
  if (!left.plan.appendOnly) {
    throw new SluiceError('UNSUPPORTED', 'a temporal join over a changelog left side (one with updates or deletes) is not supported: its left side must be append-only', {
      span: j.span,
    });
  }
  const leftTime = leftTimeColumn(ref.systemTime!, left, ctx);
  const rightKey = versionKey(ref, right.plan, ctx);
  const width = left.plan.schema.length;
  const keys = splitKeyEqualities(condition, width, rightKey);
  const missing = rightKey.filter((k) => !keys.right.includes(k));
  if (missing.length > 0) {
    const names = (ks: readonly number[]) => ks.map((k) => right.plan.schema[k]!.name).join(', ');
    throw new SluiceError('BIND', `a temporal join needs ON to equate each key column of '${name}' (${names(rightKey)}) with a left column: ${names(missing)} is not`, {
      span: j.on?.span ?? j.span,
    });
  }
  keys.left.forEach((l, i) => {
    const r = keys.right[i]!;
    const [lt, rt] = [left.plan.schema[l]!.type, right.plan.schema[r]!.type];
    if (lt !== rt) {
      throw new SluiceError('TYPE', `a temporal join key compares ${lt} with ${rt} ('${left.plan.schema[l]!.name}' and '${right.plan.schema[r]!.name}'): cast one side`, {
        span: j.on?.span ?? j.span,
      });
    }
  });
  const rightTime = versionTime(name, right.plan, rightKey, ref);
  const plan = temporalJoinNode(j.joinType, left.plan, right.plan, keys, leftTime, rightTime, keys.residual);
  return { plan, scope };
}

/** The left event-time column named after AS OF. */
function leftTimeColumn(e: Expr, left: BoundRelation, ctx: BindContext): number {
  const b = bindExpr(e, { scope: left.scope, sql: ctx.sql, clause: 'FOR SYSTEM_TIME AS OF' });
  if (b.kind !== 'Column' || !left.scope.columns.find((c) => c.index === b.index)?.timeAttr || b.type !== 'TIMESTAMP') {
    throw new SluiceError('BIND', 'FOR SYSTEM_TIME AS OF needs an event-time column of the left side (such as o.ts, its WATERMARK column)', { span: e.span });
  }
  return b.index;
}

/** The key of the right side's versions. */
function versionKey(ref: TableRef, plan: LogicalPlan, ctx: BindContext): readonly number[] {
  const entry = ctx.catalog.get(ref.name.name);
  const none = () =>
    new SluiceError(
      'BIND',
      `'${ref.name.name}' has no key, so it has no versions: a temporal join reads a source WITH (key = …) or a view with GROUP BY or WITH (primary_key = …)`,
      { span: ref.name.span },
    );
  if (!entry || entry.kind === 'sink') throw none();
  if (entry.kind === 'source') {
    const key = streamKeyOf(entry);
    if (!key) throw none();
    return [plan.schema.findIndex((c) => c.name === key.name)];
  }
  if (entry.primaryKey) return entry.primaryKey;
  if (!plan.uniqueKey || plan.uniqueKey.length === 0) throw none();
  return plan.uniqueKey;
}

/** The right column holding a version's event time. */
function versionTime(name: string, plan: LogicalPlan, key: readonly number[], ref: TableRef): number {
  if (plan.kind === 'Scan') {
    if (plan.watermark) return plan.watermark.column;
  } else {
    const attrs = plan.schema.flatMap((c, i) => (c.timeAttr === true && c.type === 'TIMESTAMP' ? [i] : []));
    if (attrs.length === 1) return attrs[0]!;
    const stamps = plan.schema.flatMap((c, i) => (c.type === 'TIMESTAMP' && !key.includes(i) ? [i] : []));
    if (attrs.length === 0 && stamps.length === 1) return stamps[0]!;
  }
  throw new SluiceError(
    'BIND',
    `a temporal join needs the time of each version of '${name}': a source with a WATERMARK, or a view with one event-time (or one TIMESTAMP) column besides its key`,
    { span: ref.name.span },
  );
}

/** Equalities `left col = right key col` of ON, one per key column; everything else stays the residual. */
function splitKeyEqualities(
  cond: BoundExpr | null,
  width: number,
  rightKey: readonly number[],
): { left: number[]; right: number[]; residual: BoundExpr | null } {
  const left: number[] = [];
  const right: number[] = [];
  const rest: BoundExpr[] = [];
  const conjuncts = (e: BoundExpr): BoundExpr[] => (e.kind === 'Call' && e.fn === 'and' ? e.args.flatMap(conjuncts) : [e]);
  for (const c of cond ? conjuncts(cond) : []) {
    if (c.kind === 'Call' && c.fn === 'eq' && c.args[0]!.kind === 'Column' && c.args[1]!.kind === 'Column') {
      const [a, b] = [c.args[0].index, c.args[1].index];
      const [l, r] = a < width && b >= width ? [a, b - width] : b < width && a >= width ? [b, a - width] : [-1, -1];
      if (l >= 0 && rightKey.includes(r) && !right.includes(r)) {
        left.push(l);
        right.push(r);
        continue;
      }
    }
    rest.push(c);
  }
  return { left, right, residual: rest.length === 0 ? null : rest.reduce((a, b) => call('and', [a, b], 'BOOLEAN')) };
}
