/** Picks the accumulator for an aggregate call. */
import type { AggCall } from '../../plan/logical-plan.js';
import type { Accumulator } from './accumulator.js';
import { CountAccumulator } from './count.js';
import { DistinctAccumulator } from './distinct.js';
import type { DistinctCounts } from './distinct-counts.js';
import { MinMaxAccumulator } from './min-max.js';
import { MultisetMinMaxAccumulator } from './multiset-min-max.js';
import { SumAccumulator } from './sum.js';

/**
 * `retractions`: whether the input can retract rows (a changelog). `shared`: a COUNT(DISTINCT)
 * call's lane in a table shared with other calls (shared-distinct.ts).
 */
export function makeAccumulator(a: AggCall, retractions: boolean, shared?: { readonly counts: DistinctCounts; readonly lane: number }): Accumulator {
  if (a.distinct && a.fn !== 'MIN' && a.fn !== 'MAX') return new DistinctAccumulator(a.type, a.fn, a.argType ?? 'NULL', shared);
  switch (a.fn) {
    case 'COUNT':
      return new CountAccumulator();
    case 'SUM':
      return new SumAccumulator(a.type, false, a.argType ?? a.type, retractions);
    case 'AVG':
      return new SumAccumulator('DOUBLE', true, a.argType ?? 'DOUBLE', retractions);
    case 'MIN':
    case 'MAX':
      return retractions ? new MultisetMinMaxAccumulator(a.type, a.fn === 'MAX') : new MinMaxAccumulator(a.type, a.fn === 'MAX');
  }
}
