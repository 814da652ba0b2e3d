/** Whether a stored pipeline state was written for a pipeline's plan (see plan-signature.ts). */
import type { Pipeline } from '../exec/pipeline.js';
import { joinsOnComputedKeys } from '../plan/plan-signature.js';

export function stateFits(state: ReadonlyMap<string, ReadonlyMap<string, unknown>>, pipeline: Pipeline): boolean {
  const meta = state.get('pipeline')?.get('') as { plan?: unknown } | null | undefined;
  if (typeof meta?.plan === 'string') return meta.plan === pipeline.signature;
  // Written before checkpoints named their plan: by a sluice that planned every query as this
  // one does, except joins on computed keys.
  return !joinsOnComputedKeys(pipeline.plan);
}
