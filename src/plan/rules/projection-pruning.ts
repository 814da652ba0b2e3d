/**
 * Projection pruning: every node keeps only the columns something above it reads, down to
 * the scans (which still read the watermark column: the watermark needs it). Identity
 * projections left behind are removed.
 */
import { matchRecognizeColumns, remapMatchRecognize } from '../match-recognize-node.js';
import { columnsUsed, mapColumns, type BoundExpr } from '../expr.js';
import type { LogicalPlan } from '../logical-plan.js';
import {
  aggregateNode,
  filterNode,
  joinNode,
  overNode,
  projectNode,
  scanNode,
  semiJoinNode,
  setOpNode,
  temporalJoinNode,
  topNNode,
  unionAllNode,
  viewScanNode,
  windowAggregateNode,
  windowTvfNode,
} from '../node-builders.js';
import type { Rule } from './rule.js';

interface Pruned {
  readonly plan: LogicalPlan;
  /** Old output column → new position (-1 when dropped). */
  readonly map: readonly number[];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function remap(e: BoundExpr, map: readonly number[]): BoundExpr {
  return mapColumns(e, (c) => ({ ...c, index: map[c.index]! }));
}

function keepMap(width: number, kept: readonly number[]): number[] {
  const map = new Array<number>(width).fill(-1);
  kept.forEach((k, i) => (map[k] = i));
  return map;
}

function sorted(s: Set<number>): number[] {
  return [...s].sort((a, b) => a - b);
}

function prune(plan: LogicalPlan, required: Set<number>): Pruned {
  switch (plan.kind) {
    case 'Scan': {
      const keep = new Set(required);
      if (plan.watermark) keep.add(plan.watermark.column);
      const kept = sorted(keep);
      if (kept.length === plan.columns.length) return { plan, map: range(kept.length) };
      const map = keepMap(plan.schema.length, kept);
      // scanNode wants the source schema indexed by source column: rebuild it from ours.
      const sourceSchema: LogicalPlan['schema'][number][] = [];
      plan.columns.forEach((c, i) => (sourceSchema[c] = plan.schema[i]!));
      const wm = plan.watermark ? { column: map[plan.watermark.column]!, delayMs: plan.watermark.delayMs } : null;
      return { plan: scanNode(plan.source, sourceSchema, kept.map((k) => plan.columns[k]!), wm, plan.until), map };
    }
    case 'ViewScan': {
      const kept = sorted(required);
      if (kept.length === plan.columns.length) return { plan, map: range(kept.length) };
      const viewSchema: LogicalPlan['schema'][number][] = [];
      plan.columns.forEach((c, i) => (viewSchema[c] = plan.schema[i]!));
      const full = { schema: viewSchema, appendOnly: plan.appendOnly, uniqueKey: null };
      return { plan: viewScanNode(plan.view, full, kept.map((k) => plan.columns[k]!)), map: keepMap(plan.schema.length, kept) };
    }
    case 'Values':
      return { plan, map: range(plan.schema.length) };
    case 'Filter': {
      const need = new Set([...required, ...columnsUsed(plan.predicate)]);
      const child = prune(plan.input, need);
      return { plan: filterNode(child.plan, remap(plan.predicate, child.map)), map: child.map };
    }
    case 'Project': {
      const kept = sorted(required);
      const need = new Set<number>();
      for (const k of kept) columnsUsed(plan.exprs[k]!, need);
      const child = prune(plan.input, need);
      const exprs = kept.map((k) => remap(plan.exprs[k]!, child.map));
      const names = kept.map((k) => plan.schema[k]!.name);
      return { plan: dropIdentity(projectNode(child.plan, exprs, names)), map: keepMap(plan.schema.length, kept) };
    }
    case 'WindowTvf': {
      const n = plan.input.schema.length;
      const need = new Set([...required].filter((i) => i < n));
      need.add(plan.window.timeCol);
      plan.window.partitionBy.forEach((p) => need.add(p));
      const child = prune(plan.input, need);
      const w = child.plan.schema.length;
      const window = {
        ...plan.window,
        timeCol: child.map[plan.window.timeCol]!,
        partitionBy: plan.window.partitionBy.map((p) => child.map[p]!),
      };
      const map = range(plan.schema.length).map((i) => (i < n ? child.map[i]! : w + (i - n)));
      return { plan: windowTvfNode(child.plan, window), map };
    }
    case 'Aggregate':
    case 'WindowAggregate': {
      const need = new Set<number>(plan.keys);
      for (const a of plan.aggs) if (a.arg !== null) need.add(a.arg);
      if (plan.kind === 'WindowAggregate') {
        need.add(plan.window.timeCol);
        plan.window.partitionBy.forEach((p) => need.add(p));
      }
      const child = prune(plan.input, need);
      const m = child.map;
      const keys = plan.keys.map((k) => m[k]!);
      const aggs = plan.aggs.map((a) => ({ ...a, arg: a.arg === null ? null : m[a.arg]! }));
      const node =
        plan.kind === 'Aggregate'
          ? aggregateNode(child.plan, keys, aggs, plan.idleTtlMs)
          : windowAggregateNode(
              child.plan,
              { ...plan.window, timeCol: m[plan.window.timeCol]!, partitionBy: plan.window.partitionBy.map((p) => m[p]!) },
              keys,
              aggs,
              plan.emit,
            );
      return { plan: { ...node, schema: plan.schema }, map: range(plan.schema.length) };
    }
    case 'UnionAll': {
      const kept = sorted(required);
      const inputs = plan.inputs.map((i) => {
        const child = prune(i, required);
        const exprs = kept.map((k) => ({ kind: 'Column' as const, index: child.map[k]!, name: i.schema[k]!.name, type: i.schema[k]!.type }));
        return dropIdentity(projectNode(child.plan, exprs, kept.map((k) => i.schema[k]!.name)));
      });
      return { plan: unionAllNode(inputs, kept.map((k) => plan.schema[k]!)), map: keepMap(plan.schema.length, kept) };
    }
    case 'Join': {
      // Its inputs keep what the join reads; its output only what is read above it.
      const picked = plan.output ?? range(plan.left.schema.length + plan.right.schema.length);
      const wanted = new Set([...required].map((i) => picked[i]!));
      const { l, r, map } = pruneSides(plan, plan.leftKeys, plan.rightKeys, wanted);
      // A batch carries at least one column: with none read above (COUNT(*)), one stands in.
      const width = l.plan.schema.length + r.plan.schema.length;
      const output = wanted.size > 0 || width === 0 ? sorted(wanted).map((j) => map[j]!) : [0];
      const node = joinNode(
        plan.joinType,
        l.plan,
        r.plan,
        plan.leftKeys.map((k) => l.map[k]!),
        plan.rightKeys.map((k) => r.map[k]!),
        plan.condition ? remap(plan.condition, map) : null,
        plan.stateTtlMs,
        plan.emit,
        output,
      );
      const at = keepMap(width, output);
      return { plan: node, map: picked.map((j) => (wanted.has(j) ? at[map[j]!]! : -1)) };
    }
    case 'Over': {
      const n = plan.input.schema.length;
      const need = new Set([...required].filter((i) => i < n));
      plan.partitionBy.forEach((p) => need.add(p));
      plan.orderBy.forEach((o) => need.add(o.column));
      plan.calls.forEach((c) => {
        if (c.arg !== null) need.add(c.arg);
        if (c.defaultArg !== undefined && c.defaultArg !== null) need.add(c.defaultArg);
      });
      const child = prune(plan.input, need);
      const m = child.map;
      const w = child.plan.schema.length;
      const node = overNode(
        child.plan,
        plan.partitionBy.map((p) => m[p]!),
        plan.orderBy.map((o) => ({ ...o, column: m[o.column]! })),
        plan.frame,
        plan.calls.map((c) => ({
          ...c,
          arg: c.arg === null ? null : m[c.arg]!,
          ...(c.defaultArg !== undefined ? { defaultArg: c.defaultArg === null ? null : m[c.defaultArg]! } : {}),
        })),
      );
      return { plan: node, map: range(plan.schema.length).map((i) => (i < n ? m[i]! : w + (i - n))) };
    }
    case 'TemporalJoin': {
      const { l, r, map } = pruneSides(plan, [...plan.leftKeys, plan.leftTime], [...plan.rightKeys, plan.rightTime], required);
      const node = temporalJoinNode(
        plan.joinType,
        l.plan,
        r.plan,
        { left: plan.leftKeys.map((k) => l.map[k]!), right: plan.rightKeys.map((k) => r.map[k]!) },
        l.map[plan.leftTime]!,
        r.map[plan.rightTime]!,
        plan.condition ? remap(plan.condition, map) : null,
      );
      return { plan: node, map };
    }
    case 'TopN': {
      const n = plan.input.schema.length;
      const need = new Set([...[...required].filter((i) => i < n), ...plan.orderBy.map((o) => o.column), ...plan.partitionBy]);
      const child = prune(plan.input, need);
      const m = child.map;
      const node = topNNode(
        child.plan,
        plan.orderBy.map((o) => ({ ...o, column: m[o.column]! })),
        plan.limit,
        plan.partitionBy.map((p) => m[p]!),
        plan.rowNumber,
        plan.offset,
        plan.rank,
      );
      return { plan: node, map: plan.rowNumber === null ? m : [...m.slice(0, n), child.plan.schema.length] };
    }
    case 'SemiJoin': {
      const w = plan.left.schema.length;
      const l = prune(plan.left, new Set([...[...required].filter((i) => i < w), ...plan.leftKeys]));
      const r = prune(plan.right, new Set(plan.rightKeys));
      const node = semiJoinNode(
        l.plan,
        r.plan,
        plan.leftKeys.map((k) => l.map[k]!),
        plan.rightKeys.map((k) => r.map[k]!),
        plan.anti,
        plan.nullAware,
        plan.mark,
      );
      return { plan: node, map: plan.mark === undefined ? l.map : [...l.map, l.plan.schema.length] };
    }
    case 'MatchRecognize': {
      const child = prune(plan.input, matchRecognizeColumns(plan));
      return { plan: remapMatchRecognize(plan, child.plan, child.map), map: range(plan.schema.length) };
    }
    case 'SetOp': {
      // Every column is part of the row's identity, and the two counts are what it outputs.
      const child = prune(plan.input, new Set(range(plan.input.schema.length)));
      return { plan: setOpNode(plan.op, plan.all, child.plan), map: range(plan.schema.length) };
    }
  }
}

/** A projection that passes its input through unchanged (same columns, same names) is dropped. */
/**
 * Prunes both inputs of a two-sided node over the left columns then the right ones: each
 * side keeps the columns named for it, those `required` (of left ++ right) and those its
 * condition reads. `map` takes the old left ++ right columns to the new ones (-1: gone).
 */
function pruneSides(
  plan: { readonly left: LogicalPlan; readonly right: LogicalPlan; readonly condition: BoundExpr | null },
  leftNeeds: readonly number[],
  rightNeeds: readonly number[],
  required: Set<number>,
): { l: Pruned; r: Pruned; map: number[] } {
  const w = plan.left.schema.length;
  const needL = new Set<number>(leftNeeds);
  const needR = new Set<number>(rightNeeds);
  for (const i of [...required, ...(plan.condition ? columnsUsed(plan.condition) : [])]) (i < w ? needL.add(i) : needR.add(i - w));
  const l = prune(plan.left, needL);
  const r = prune(plan.right, needR);
  const lw = l.plan.schema.length;
  const map = range(w + plan.right.schema.length).map((i) => (i < w ? l.map[i]! : r.map[i - w]! < 0 ? -1 : lw + r.map[i - w]!));
  return { l, r, map };
}

function dropIdentity(p: LogicalPlan): LogicalPlan {
  if (p.kind !== 'Project') return p;
  const same =
    p.exprs.length === p.input.schema.length &&
    p.exprs.every((e, i) => e.kind === 'Column' && e.index === i && p.input.schema[i]!.name === p.schema[i]!.name);
  return same ? p.input : p;
}

export const projectionPruning: Rule = {
  name: 'projection pruning',
  apply(plan) {
    const all = new Set(range(plan.schema.length));
    const r = prune(plan, all);
    const identity = r.map.every((m, i) => m === i) && r.plan.schema.length === plan.schema.length;
    if (identity) return r.plan;
    return projectNode(
      r.plan,
      plan.schema.map((c, i) => ({ kind: 'Column', index: r.map[i]!, name: c.name, type: c.type })),
      plan.schema.map((c) => c.name),
    );
  },
};
