/**
 * Predicate pushdown: moves filters toward the sources (through projections, window
 * assignment, unions, into aggregation inputs when they test group keys, and into the
 * sides of inner joins), so fewer rows reach the stateful operators.
 */
import { call, columnsUsed, mapColumns, type BoundExpr } from '../expr.js';
import { inputsOf, type LogicalPlan } from '../logical-plan.js';
import { aggregateNode, filterNode, joinNode, projectNode, unionAllNode, windowAggregateNode, windowTvfNode } from '../node-builders.js';
import { withInputs } from '../rewrite.js';
import type { Rule } from './rule.js';

function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'Call' && e.fn === 'and' ? e.args.flatMap(conjuncts) : [e];
}

function and(parts: readonly BoundExpr[]): BoundExpr | null {
  if (parts.length === 0) return null;
  return parts.reduce((a, b) => call('and', [a, b], 'BOOLEAN'));
}

function filterIf(input: LogicalPlan, pred: BoundExpr | null): LogicalPlan {
  return pred ? filterNode(input, pred) : input;
}

/** Pushes `pred` into `input` as far as it goes; returns the rewritten subtree. */
function pushInto(input: LogicalPlan, pred: BoundExpr): LogicalPlan {
  switch (input.kind) {
    case 'Filter':
      return pushInto(input.input, call('and', [input.predicate, pred], 'BOOLEAN'));
    case 'Project': {
      const used = columnsUsed(pred);
      const simple = [...used].every((i) => {
        const k = input.exprs[i]!.kind;
        return k === 'Column' || k === 'Literal';
      });
      if (!simple) break;
      const below = mapColumns(pred, (c) => input.exprs[c.index]!);
      return projectNode(pushInto(input.input, below), input.exprs, input.schema.map((c) => c.name));
    }
    case 'WindowTvf': {
      const n = input.input.schema.length;
      if ([...columnsUsed(pred)].some((i) => i >= n)) break;
      return windowTvfNode(pushInto(input.input, pred), input.window);
    }
    case 'UnionAll':
      return unionAllNode(
        input.inputs.map((i) => pushInto(i, pred)),
        input.schema,
      );
    case 'Aggregate':
    case 'WindowAggregate': {
      const base = input.kind === 'WindowAggregate' ? 3 : 0;
      const down: BoundExpr[] = [];
      const up: BoundExpr[] = [];
      for (const c of conjuncts(pred)) {
        const cols = [...columnsUsed(c)];
        const onKeys = cols.every((i) => i >= base && i < base + input.keys.length);
        if (onKeys && cols.length > 0) {
          down.push(mapColumns(c, (x) => ({ ...x, index: input.keys[x.index - base]!, name: input.input.schema[input.keys[x.index - base]!]!.name })));
        } else up.push(c);
      }
      if (down.length === 0) break;
      const inner = pushInto(input.input, and(down)!);
      const rebuilt =
        input.kind === 'Aggregate'
          ? { ...aggregateNode(inner, input.keys, input.aggs, input.idleTtlMs), schema: input.schema }
          : { ...windowAggregateNode(inner, input.window, input.keys, input.aggs, input.emit), schema: input.schema };
      return filterIf(rebuilt, and(up));
    }
    case 'Join': {
      if (input.joinType !== 'INNER' && input.joinType !== 'CROSS') break;
      const w = input.left.schema.length;
      const left: BoundExpr[] = [];
      const right: BoundExpr[] = [];
      const rest: BoundExpr[] = [];
      // The filter reads the join's output: as columns of left ++ right.
      const picked = input.output;
      const joinedPred = picked ? mapColumns(pred, (x) => ({ ...x, index: picked[x.index]! })) : pred;
      for (const c of conjuncts(joinedPred)) {
        const cols = [...columnsUsed(c)];
        if (cols.length > 0 && cols.every((i) => i < w)) left.push(c);
        else if (cols.length > 0 && cols.every((i) => i >= w)) right.push(mapColumns(c, (x) => ({ ...x, index: x.index - w })));
        else rest.push(c);
      }
      const l = left.length ? pushInto(input.left, and(left)!) : input.left;
      const r = right.length ? pushInto(input.right, and(right)!) : input.right;
      // What reads both sides becomes part of the join condition: for an inner join it is the
      // same, pairs are dropped before they are built, and time bounds there let the join
      // free its state (join-retention.ts).
      const condition = and([...(input.condition ? [input.condition] : []), ...rest]);
      return joinNode(input.joinType, l, r, input.leftKeys, input.rightKeys, condition, input.stateTtlMs, input.emit, picked ?? null);
    }
    case 'SemiJoin': {
      // Its output is its left rows: a filter on them can run before the join (not one on the mark).
      const w = input.left.schema.length;
      const down = conjuncts(pred).filter((c) => [...columnsUsed(c)].every((i) => i < w));
      const up = conjuncts(pred).filter((c) => !down.includes(c));
      if (down.length === 0) break;
      return filterIf(withInputs(input, [pushInto(input.left, and(down)!), input.right]), and(up));
    }
    default:
      break;
  }
  return filterNode(input, pred);
}

function pushdown(plan: LogicalPlan): LogicalPlan {
  const rebuilt = withInputs(plan, inputsOf(plan).map(pushdown));
  if (rebuilt.kind === 'Filter') return pushInto(rebuilt.input, rebuilt.predicate);
  return rebuilt;
}

export const predicatePushdown: Rule = { name: 'predicate pushdown', apply: pushdown };
