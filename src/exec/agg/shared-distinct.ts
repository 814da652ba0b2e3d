/**
 * COUNT(DISTINCT) calls over one column, some of them filtered — `COUNT(DISTINCT x)` and
 * `COUNT(DISTINCT CASE WHEN c THEN x END)` (how FILTER is bound) — share one DistinctCounts
 * table, a lane each, so a row's x is looked up once for all of them. Which calls share is
 * read from the plan; sharing only saves work: lanes holding different values in a row are
 * looked up apart, so any grouping counts right.
 */
import type { BoundExpr } from '../../plan/expr.js';
import type { AggCall, LogicalPlan } from '../../plan/logical-plan.js';
import { countsInArrays } from './distinct.js';
import { DistinctCounts } from './distinct-counts.js';

/** One shared table and the aggregates (by index) of its lanes, in lane order. */
export interface DistinctShare {
  readonly counts: DistinctCounts;
  readonly members: readonly number[];
}

/**
 * For each aggregate over `input`, the input column its argument is, possibly filtered (a
 * CASE with one branch yielding a column, NULL otherwise), as a key; null when neither.
 */
export function distinctSources(input: LogicalPlan, aggs: readonly AggCall[]): (string | null)[] {
  return aggs.map((a) => {
    if (a.arg === null || !a.distinct) return null;
    return input.kind === 'Project' ? sourceColumn(input.exprs[a.arg]!) : `${a.arg}`;
  });
}

function sourceColumn(e: BoundExpr): string | null {
  if (e.kind === 'Column') return `${e.index}`;
  if (e.kind !== 'Case' || e.whens.length !== 1) return null;
  const then = e.whens[0]!.then;
  const elseNull = e.else === null || (e.else.kind === 'Literal' && e.else.value === null);
  return elseNull && then.kind === 'Column' ? `${then.index}` : null;
}

/** The shared tables: COUNT(DISTINCT) calls of a number with the same source and type, two or more. */
export function distinctShares(aggs: readonly AggCall[], sources: readonly (string | null)[]): DistinctShare[] {
  const bySource = new Map<string, number[]>();
  aggs.forEach((a, j) => {
    const source = sources[j];
    if (source === null || source === undefined || !a.distinct || a.fn !== 'COUNT' || a.argType === null) return;
    if (!countsInArrays('COUNT', a.argType)) return;
    const key = `${source}:${a.argType}`;
    const members = bySource.get(key);
    if (members) members.push(j);
    else bySource.set(key, [j]);
  });
  return [...bySource.values()]
    .filter((members) => members.length > 1)
    .map((members) => ({ counts: new DistinctCounts(aggs[members[0]!]!.argType!, members.length), members }));
}
