/**
 * Common subplans of one query, computed once: a subtree that occurs twice (q5 aggregates
 * the same HOP counts on both sides of its join) is built once and its output fanned out to
 * every place it occurs. Each consumer receives the same batches and watermarks, in the same
 * order, as its own copy of the subtree would have sent it (the operators are deterministic
 * functions of their input), except that a batch reaches them in pieces starting at late rows,
 * each piece to every consumer before the next (co-fed.ts): where they meet again,
 * no row is judged by how the rows were cut into batches.
 */
import type { ChangeBatch } from './batch.js';
import type { LogicalPlan } from '../plan/logical-plan.js';
import type { Emitter } from './operator.js';
import { lateRows, pushInPieces } from './co-fed.js';
import type { Schema } from '../types.js';

/** Sends one stream to several consumers, in the order they were added. */
export class FanOut implements Emitter {
  private readonly outs: Emitter[];
  /** The watermark each consumer was last given (pieces pass their rows' watermarks on). */
  private readonly given: number[] = [-Infinity];

  constructor(
    first: Emitter,
    /** Holds the query's output while a batch goes through in pieces. */
    private readonly scope: { held(f: () => void): void },
    /** The subplan's output columns (which are time attributes). */
    private readonly schema: Schema,
  ) {
    this.outs = [first];
  }

  add(out: Emitter): void {
    this.outs.push(out);
    this.given.push(-Infinity);
  }

  /** Consumers meet again further up the query, so a batch goes to them in pieces (see co-fed.ts). */
  push(batch: ChangeBatch): void {
    if (this.outs.length === 1) this.outs[0]!.push(batch);
    else this.scope.held(() => pushInPieces(this.outs, this.outs.map(() => batch), this.given, lateRows([batch], [this.schema])));
  }

  watermark(wm: number): void {
    for (let k = 0; k < this.outs.length; k++) {
      if (wm <= this.given[k]!) continue;
      this.given[k] = wm;
      this.outs[k]!.watermark(wm);
    }
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
