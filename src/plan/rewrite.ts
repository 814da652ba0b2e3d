/** Rebuilding a plan bottom-up, for rewrite rules. */
import type { BoundExpr } from './expr.js';
import { inputsOf, type LogicalPlan } from './logical-plan.js';
import {
  aggregateNode,
  filterNode,
  joinNode,
  overNode,
  projectNode,
  semiJoinNode,
  setOpNode,
  temporalJoinNode,
  topNNode,
  unionAllNode,
  valuesNode,
  windowAggregateNode,
  windowTvfNode,
} from './node-builders.js';

/** Rebuilds `p` with new inputs (same order as inputsOf), recomputing derived fields. */
export function withInputs(p: LogicalPlan, inputs: readonly LogicalPlan[]): LogicalPlan {
  switch (p.kind) {
    case 'Scan':
    case 'ViewScan':
    case 'Values':
      return p;
    case 'Filter':
      return filterNode(inputs[0]!, p.predicate);
    case 'Project':
      return projectNode(inputs[0]!, p.exprs, p.schema.map((c) => c.name));
    case 'WindowTvf':
      return windowTvfNode(inputs[0]!, p.window);
    case 'Aggregate':
      return renamed(aggregateNode(inputs[0]!, p.keys, p.aggs, p.idleTtlMs), p);
    case 'WindowAggregate':
      return renamed(windowAggregateNode(inputs[0]!, p.window, p.keys, p.aggs, p.emit), p);
    case 'UnionAll':
      return unionAllNode(inputs, p.schema);
    case 'Join':
      return joinNode(p.joinType, inputs[0]!, inputs[1]!, p.leftKeys, p.rightKeys, p.condition, p.stateTtlMs, p.emit, p.output ?? null);
    case 'TemporalJoin':
      return temporalJoinNode(p.joinType, inputs[0]!, inputs[1]!, { left: p.leftKeys, right: p.rightKeys }, p.leftTime, p.rightTime, p.condition);
    case 'Over':
      return overNode(inputs[0]!, p.partitionBy, p.orderBy, p.frame, p.calls);
    case 'TopN':
      return topNNode(inputs[0]!, p.orderBy, p.limit, p.partitionBy, p.rowNumber, p.offset, p.rank);
    case 'SetOp':
      return setOpNode(p.op, p.all, inputs[0]!);
    case 'MatchRecognize':
      return { ...p, input: inputs[0]! };
    case 'SemiJoin':
      return semiJoinNode(inputs[0]!, inputs[1]!, p.leftKeys, p.rightKeys, p.anti, p.nullAware, p.mark);
  }
}

/** Keeps the output names of `old` (key columns are named after expressions, not input columns). */
function renamed<T extends LogicalPlan>(p: T, old: LogicalPlan): T {
  return { ...p, schema: p.schema.map((c, i) => ({ ...c, name: old.schema[i]?.name ?? c.name })) };
}

/** Applies `f` to every node bottom-up. */
export function transformUp(p: LogicalPlan, f: (node: LogicalPlan) => LogicalPlan): LogicalPlan {
  const ins = inputsOf(p);
  const next = ins.map((i) => transformUp(i, f));
  const rebuilt = next.some((n, i) => n !== ins[i]) ? withInputs(p, next) : p;
  return f(rebuilt);
}

/** Rewrites every expression held by a node (not its inputs). */
export function mapNodeExprs(p: LogicalPlan, f: (e: BoundExpr) => BoundExpr): LogicalPlan {
  switch (p.kind) {
    case 'Filter':
      return filterNode(p.input, f(p.predicate));
    case 'Project':
      return projectNode(p.input, p.exprs.map(f), p.schema.map((c) => c.name));
    case 'Values':
      return valuesNode(p.rows.map((r) => r.map(f)), p.schema);
    case 'Join':
      return joinNode(p.joinType, p.left, p.right, p.leftKeys, p.rightKeys, p.condition ? f(p.condition) : null, p.stateTtlMs, p.emit, p.output ?? null);
    default:
      return p;
  }
}
