/**
 * The shape of a plan as operator state depends on it: a checkpoint stores it beside the
 * state, and a state restores only into a pipeline of the same shape. A sluice that plans a
 * query otherwise (a new operator, a key computed below a join) finds a different signature
 * and rebuilds the state by replay instead of misreading it.
 */
import { createHash } from 'node:crypto';
import { explainPlan } from './explain.js';
import { walkPlan, type LogicalPlan } from './logical-plan.js';

export function planSignature(plan: LogicalPlan): string {
  return createHash('sha256').update(explainPlan(plan)).digest('hex').slice(0, 32);
}

/**
 * Whether the plan has a join on a key computed below it (an equality between expressions of
 * the two sides). Sluice planned such a join as a nested loop before checkpoints carried a
 * signature, so a checkpoint without one never fits it.
 */
export function joinsOnComputedKeys(plan: LogicalPlan): boolean {
  let found = false;
  const computed = (p: LogicalPlan, column: number): boolean => {
    for (;;) {
      if (p.kind === 'Filter') p = p.input;
      else if (p.kind === 'Project') {
        const e = p.exprs[column];
        if (e === undefined || e.kind !== 'Column') return e !== undefined;
        column = e.index;
        p = p.input;
      } else return false;
    }
  };
  walkPlan(plan, (n) => {
    if (n.kind === 'Join' && (n.leftKeys.some((k) => computed(n.left, k)) || n.rightKeys.some((k) => computed(n.right, k)))) found = true;
  });
  return found;
}
