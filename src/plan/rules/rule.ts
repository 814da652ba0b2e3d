import type { LogicalPlan } from '../logical-plan.js';

/** One rewrite of the logical plan; rules run in the order of src/plan/optimizer.ts. */
export interface Rule {
  readonly name: string;
  apply(plan: LogicalPlan): LogicalPlan;
}
