/** Whether a stored pipeline state was written for a pipeline's plan (see plan-signature.ts). */
import type { Pipeline } from '../exec/pipeline.js';
import { joinsOnComputedKeys } from '../plan/plan-signature.js';

export function stateFits(state: ReadonlyMap<string, ReadonlyMap<string, unknown>>, pipeline: Pipeline): boolean {
  const meta = state.get('pipeline')?.get('') as { operators?: unknown; plan?: unknown } | null | undefined;
  if (typeof meta?.plan === 'string') return meta.plan === pipeline.signature;
  // Written before checkpoints named their plan: it fits if it has as many operators, each
  // where this plan has one, and no join on a computed key (planned then as a nested loop).
  if (typeof meta?.operators === 'number' && meta.operators !== pipeline.operators.length) return false;
  const ids = new Set(pipeline.operators.map((o) => o.id));
  for (const id of state.keys()) if (id !== 'pipeline' && !id.startsWith('input.') && !ids.has(id)) return false;
  return !joinsOnComputedKeys(pipeline.plan);
}
