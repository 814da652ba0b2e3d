/**
 * Common subplans of one query, computed once: a subtree that occurs twice (q5 aggregates
 * the same HOP counts on both sides of its join) is built once and its output fanned out to
 * every place it occurs. Each consumer receives the same batches and watermarks, in the same
 * order, as its own copy of the subtree would have sent it (the operators are deterministic
 * functions of their input); only the interleaving across consumers changes, which the
 * engine already allows (catching up feeds each input its whole history in turn, a live
 * source alternates batch by batch).
 */
import type { ChangeBatch } from './batch.js';
import type { LogicalPlan } from '../plan/logical-plan.js';
import type { Emitter } from './operator.js';

/** Sends one stream to several consumers, in the order they were added. */
export class FanOut implements Emitter {
  private readonly outs: Emitter[];

  constructor(first: Emitter) {
    this.outs = [first];
  }

  add(out: Emitter): void {
    this.outs.push(out);
  }

  push(batch: ChangeBatch): void {
    for (const o of this.outs) o.push(batch);
  }

  watermark(wm: number): void {
    for (const o of this.outs) o.watermark(wm);
  }
}

/**
 * A key equal for structurally equal subplans that hold at least one operator (a bare
 * scan is not worth sharing); null when the plan holds anything but plain data (its
 * equality could not be told from its text).
 */
export function subplanKey(p: LogicalPlan): string | null {
  if (p.kind === 'Scan' || p.kind === 'ViewScan' || p.kind === 'Values') return null;
  return plainData(p, 0) ? JSON.stringify(p) : null;
}

function plainData(x: unknown, depth: number): boolean {
  if (depth > 200) return false;
  switch (typeof x) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    // NaN and ±Infinity would all print as null, -0 as 0.
    case 'number':
      return Number.isFinite(x) && !Object.is(x, -0);
    case 'object': {
      if (x === null) return true;
      const proto = Object.getPrototypeOf(x) as unknown;
      if (Array.isArray(x)) return x.every((v) => plainData(v, depth + 1));
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.values(x).every((v) => plainData(v, depth + 1));
    }
    default:
      return false;
  }
}
