/**
 * Top-N by ranking: `ROW_NUMBER() OVER (PARTITION BY p ORDER BY o) AS rn … WHERE rn <= N`
 * (also `rn < N`, `rn = k`, `N >= rn`, `rn BETWEEN m AND N`) becomes one TopN per partition
 * that keeps N rows per group and emits only their changes, instead of numbering every row
 * of every partition. `RANK()` / `DENSE_RANK()` with an upper bound become a Top-N with ties:
 * the rows ranked 1..N, peers included; a lower bound m above 1 is a filter on the Top-N's
 * rank column (a rank past m depends on the rows ranked before it, so those stay in the
 * Top-N's state). A TopN that keeps one row per key by event time runs as a deduplication
 * (src/plan/deduplicate.ts).
 */
import type { BoundExpr } from '../expr.js';
import { call, col, lit } from '../expr.js';
import type { LogicalPlan, OverNode } from '../logical-plan.js';
import { filterNode, topNNode } from '../node-builders.js';
import { transformUp } from '../rewrite.js';
import type { Rule } from './rule.js';

function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'Call' && e.fn === 'and' ? e.args.flatMap(conjuncts) : [e];
}

/** The bounds `rn` >= lo and `rn` <= hi that one comparison states, or undefined. */
function boundsOf(e: BoundExpr, rn: number): { lo: number; hi: number } | undefined {
  if (e.kind !== 'Call' || e.args.length !== 2) return undefined;
  const [a, b] = e.args as [BoundExpr, BoundExpr];
  const isRn = (x: BoundExpr) => x.kind === 'Column' && x.index === rn;
  const num = (x: BoundExpr) => (x.kind === 'Literal' && typeof x.value === 'number' && Number.isInteger(x.value) ? x.value : undefined);
  // Written `N >= rn`: mirrored to `rn <= N`.
  const flip: Record<string, string> = { le: 'ge', lt: 'gt', ge: 'le', gt: 'lt', eq: 'eq' };
  let fn: string = e.fn;
  let n: number | undefined;
  if (isRn(a) && num(b) !== undefined) n = num(b);
  else if (isRn(b) && num(a) !== undefined) {
    n = num(a);
    fn = flip[fn] ?? fn;
  }
  if (n === undefined) return undefined;
  switch (fn) {
    case 'le':
      return { lo: -Infinity, hi: n };
    case 'lt':
      return { lo: -Infinity, hi: n - 1 };
    case 'ge':
      return { lo: n, hi: Infinity };
    case 'gt':
      return { lo: n + 1, hi: Infinity };
    case 'eq':
      return { lo: n, hi: n };
    default:
      return undefined;
  }
}

function rewrite(p: LogicalPlan): LogicalPlan {
  if (p.kind !== 'Filter' || p.input.kind !== 'Over') return p;
  const over: OverNode = p.input;
  if (over.calls.length !== 1 || over.orderBy.length === 0) return p;
  const fn = over.calls[0]!.fn;
  if (fn !== 'ROW_NUMBER' && fn !== 'RANK' && fn !== 'DENSE_RANK') return p;
  const rn = over.input.schema.length;
  let lo = 1;
  let hi = Infinity;
  const rest: BoundExpr[] = [];
  for (const c of conjuncts(p.predicate)) {
    const b = boundsOf(c, rn);
    if (b === undefined) rest.push(c);
    else {
      lo = Math.max(lo, b.lo);
      hi = Math.min(hi, b.hi);
    }
  }
  if (hi === Infinity) return p;
  const rank = fn === 'ROW_NUMBER' ? undefined : fn;
  // Row numbers are positions (an offset skips them); ranks are not, so ranks below m are filtered out.
  const offset = rank === undefined ? lo - 1 : 0;
  const limit = lo > hi ? 0 : hi - offset;
  if (rank !== undefined && lo > 1 && lo <= hi) rest.unshift(call('ge', [col(rn, over.schema[rn]!.name, 'BIGINT'), lit(lo, 'BIGINT')], 'BOOLEAN'));
  const topN = topNNode(over.input, over.orderBy, limit, over.partitionBy, over.schema[rn]!.name, offset, rank);
  return rest.length === 0 ? topN : filterNode(topN, rest.reduce((x, y) => call('and', [x, y], 'BOOLEAN')));
}

export const topNRanking: Rule = { name: 'top-n by ranking', apply: (plan) => transformUp(plan, rewrite) };
