/**
 * Whether a query can run as one pipeline per partition (SPEC 8): every stateful operator
 * must group, join or partition by a column that carries the source's declared `key` (the
 * column the publisher partitions by), so all rows that meet in its state are in one
 * partition. `keyColumns` follows that column through the plan; a stateful operator whose
 * key misses it is refused with the reason. repartition-keys.ts asks it again with other
 * columns standing for the key, to find the columns a repartition would need.
 */
import { SluiceError } from '../errors.js';
import type { LogicalPlan } from '../plan/logical-plan.js';

export interface SplitContext {
  /** Per source: the index of its `key` column among its declared columns, or null without a key. */
  readonly sourceKey: ReadonlyMap<string, number | null>;
  /** Per materialized view already checked: its output columns that carry the key. */
  readonly viewKey: ReadonlyMap<string, ReadonlySet<number>>;
}

function refuse(what: string, why: string): never {
  throw new SluiceError('UNSUPPORTED', `${what} cannot run in a scale-out group: ${why}`);
}

/** Why a repartition could not help either (only the best choice of repartition columns is reported). */
const NO_KEY = 'no repartitioning of each source by one of its columns keys every stateful query of the job';

/**
 * The output columns of `plan` that carry the partition key; throws UNSUPPORTED (naming
 * `what`, e.g. "view 'v'") when some operator would need rows of several partitions.
 */
export function keyColumns(plan: LogicalPlan, ctx: SplitContext, what: string): Set<number> {
  const has = (set: ReadonlySet<number>, cols: readonly number[]) => cols.some((c) => set.has(c));
  switch (plan.kind) {
    case 'Scan': {
      const k = ctx.sourceKey.get(plan.source);
      if (k === undefined) refuse(what, `source '${plan.source}' is not a partitioned nats source`);
      const out = new Set<number>();
      plan.columns.forEach((c, i) => c === k && out.add(i));
      return out;
    }
    case 'ViewScan': {
      const v = ctx.viewKey.get(plan.view);
      if (v === undefined) refuse(what, `view '${plan.view}' is not split by partition`);
      const out = new Set<number>();
      plan.columns.forEach((c, i) => v.has(c) && out.add(i));
      return out;
    }
    case 'Values':
      return refuse(what, 'constant rows (VALUES, a SELECT without FROM) would be produced once per partition');
    case 'Filter':
      return keyColumns(plan.input, ctx, what);
    case 'Project': {
      const inner = keyColumns(plan.input, ctx, what);
      const out = new Set<number>();
      plan.exprs.forEach((e, i) => e.kind === 'Column' && inner.has(e.index) && out.add(i));
      return out;
    }
    case 'WindowTvf': {
      const inner = keyColumns(plan.input, ctx, what);
      if (plan.window.kind === 'SESSION' && !has(inner, plan.window.partitionBy)) {
        refuse(what, `its SESSION window is not partitioned by the source's key, so one session could span partitions; ${NO_KEY}`);
      }
      return inner;
    }
    case 'Aggregate': {
      const inner = keyColumns(plan.input, ctx, what);
      if (!has(inner, plan.keys)) refuse(what, `its GROUP BY does not include the source's key, so one group's rows sit in several partitions; ${NO_KEY}`);
      const out = new Set<number>();
      plan.keys.forEach((k, j) => inner.has(k) && out.add(j));
      return out;
    }
    case 'WindowAggregate': {
      const inner = keyColumns(plan.input, ctx, what);
      if (!has(inner, plan.keys)) refuse(what, `its windowed GROUP BY does not include the source's key, so one window's rows sit in several partitions; ${NO_KEY}`);
      const out = new Set<number>();
      plan.keys.forEach((k, j) => inner.has(k) && out.add(3 + j));
      return out;
    }
    case 'UnionAll': {
      const sets = plan.inputs.map((i) => keyColumns(i, ctx, what));
      return new Set([...sets[0]!].filter((c) => sets.every((s) => s.has(c))));
    }
    case 'Join': {
      const l = keyColumns(plan.left, ctx, what);
      const r = keyColumns(plan.right, ctx, what);
      const coPartitioned = plan.joinType !== 'CROSS' && plan.leftKeys.some((k, i) => l.has(k) && r.has(plan.rightKeys[i]!));
      if (!coPartitioned) {
        refuse(what, `its join is not on both sides' partition keys, so matching rows can sit in different partitions; ${NO_KEY}`);
      }
      const width = plan.left.schema.length;
      const joined = new Set([...l, ...[...r].map((c) => c + width)]);
      // Positions of its output (left ++ right unless it outputs fewer).
      return plan.output ? new Set(plan.output.flatMap((j, i) => (joined.has(j) ? [i] : []))) : joined;
    }
    case 'Over': {
      const inner = keyColumns(plan.input, ctx, what);
      if (!has(inner, plan.partitionBy)) refuse(what, `its OVER window is not PARTITION BY the source's key; ${NO_KEY}`);
      return inner;
    }
    case 'TopN': {
      const inner = keyColumns(plan.input, ctx, what);
      if (!has(inner, plan.partitionBy)) {
        refuse(what, `ORDER BY … LIMIT over the whole stream needs every partition's rows in one place; only a top-N PARTITION BY the source's key can be split`);
      }
      return inner;
    }
    case 'SemiJoin': {
      const l = keyColumns(plan.left, ctx, what);
      const r = keyColumns(plan.right, ctx, what);
      if (!plan.leftKeys.some((k, i) => l.has(k) && r.has(plan.rightKeys[i]!))) {
        refuse(what, `its subquery is not correlated on both sides' partition keys, so matching rows can sit in different partitions`);
      }
      return l;
    }
    case 'SetOp': {
      const inner = keyColumns(plan.input, ctx, what);
      if (inner.size === 0) refuse(what, `INTERSECT/EXCEPT compares rows that can sit in different partitions unless both sides keep the source's key`);
      return inner;
    }
    default:
      // A plan node added later: refused until someone decides how it splits.
      return refuse(what, `its ${(plan as { kind: string }).kind} operator is not known to split by partition`);
  }
}
