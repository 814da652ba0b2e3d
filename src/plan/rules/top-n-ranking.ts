/**
 * Top-N by ranking: `ROW_NUMBER() OVER (PARTITION BY p ORDER BY o) AS rn … WHERE rn <= N`
 * (also `rn < N`, `rn = 1`, `N >= rn`) becomes one TopN per partition that keeps N rows per
 * group and emits only their changes, instead of numbering every row of every partition.
 */
import type { BoundExpr } from '../expr.js';
import { call } from '../expr.js';
import type { LogicalPlan, OverNode } from '../logical-plan.js';
import { filterNode, topNNode } from '../node-builders.js';
import { transformUp } from '../rewrite.js';
import type { Rule } from './rule.js';

function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'Call' && e.fn === 'and' ? e.args.flatMap(conjuncts) : [e];
}

/** The N of `rn <= N` and its spellings, or undefined. */
function limitOf(e: BoundExpr, rn: number): number | undefined {
  if (e.kind !== 'Call' || e.args.length !== 2) return undefined;
  const [a, b] = e.args as [BoundExpr, BoundExpr];
  const isRn = (x: BoundExpr) => x.kind === 'Column' && x.index === rn;
  const num = (x: BoundExpr) => (x.kind === 'Literal' && typeof x.value === 'number' && Number.isInteger(x.value) ? x.value : undefined);
  if (isRn(a) && num(b) !== undefined) {
    const n = num(b)!;
    if (e.fn === 'le') return n;
    if (e.fn === 'lt') return n - 1;
    if (e.fn === 'eq' && n === 1) return 1;
  }
  if (isRn(b) && num(a) !== undefined) {
    const n = num(a)!;
    if (e.fn === 'ge') return n;
    if (e.fn === 'gt') return n - 1;
    if (e.fn === 'eq' && n === 1) return 1;
  }
  return undefined;
}

function rewrite(p: LogicalPlan): LogicalPlan {
  if (p.kind !== 'Filter' || p.input.kind !== 'Over') return p;
  const over: OverNode = p.input;
  if (over.calls.length !== 1 || over.calls[0]!.fn !== 'ROW_NUMBER' || over.orderBy.length === 0) return p;
  const rn = over.input.schema.length;
  const parts = conjuncts(p.predicate);
  const at = parts.findIndex((c) => limitOf(c, rn) !== undefined);
  if (at < 0) return p;
  const limit = Math.max(0, limitOf(parts[at]!, rn)!);
  const topN = topNNode(over.input, over.orderBy, limit, over.partitionBy, over.schema[rn]!.name);
  const rest = parts.filter((_, i) => i !== at);
  return rest.length === 0 ? topN : filterNode(topN, rest.reduce((x, y) => call('and', [x, y], 'BOOLEAN')));
}

export const topNRanking: Rule = { name: 'top-n by ranking', apply: (plan) => transformUp(plan, rewrite) };
