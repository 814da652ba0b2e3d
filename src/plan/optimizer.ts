/** The rewrite rules, in the order they run. */
import type { LogicalPlan } from './logical-plan.js';
import { constantFolding } from './rules/constant-folding.js';
import { predicatePushdown } from './rules/predicate-pushdown.js';
import { projectionPruning } from './rules/projection-pruning.js';
import { topNRanking } from './rules/top-n-ranking.js';
import type { Rule } from './rules/rule.js';

export const RULES: readonly Rule[] = [constantFolding, predicatePushdown, constantFolding, topNRanking, projectionPruning];

export function optimize(plan: LogicalPlan, rules: readonly Rule[] = RULES): LogicalPlan {
  return rules.reduce((p, r) => r.apply(p), plan);
}
