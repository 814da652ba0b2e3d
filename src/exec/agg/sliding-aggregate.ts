/**
 * One OVER aggregate's running state over a frame [lo, hi) of a partition's ordered rows,
 * for frames that only move forward: rows join at hi and leave at lo, in order. COUNT, SUM
 * and AVG keep a count and a sum; MIN and MAX a monotonic queue of row indices (MIN:
 * increasing values, MAX: decreasing), so each row is pushed and popped at most once. A frame
 * whose start never moves (UNBOUNDED PRECEDING) is `growing`: MIN and MAX keep the value
 * itself, so no row is needed once added, and the state is a few numbers (see {@link saved}).
 */
import type { OverCall, OverNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { checkDecimal, isDecimal, pow10, scaleOrZero } from '../../decimal.js';
import { compareSql } from '../../sql-order.js';
import { nonFiniteKind, sumWithNonFinite } from './sum.js';

/** The scale of a call's DECIMAL argument (0 for other types): AVG divides by 10^scale. */
export function argScale(node: OverNode, c: OverCall): number {
  return c.arg === null ? 0 : scaleOrZero(node.input.schema[c.arg]!.type);
}

/** A growing frame's aggregate in a checkpoint: count, finite sum, non-finite counts, MIN/MAX. */
/**
 * Reads an OVER call's argument from a row of its operator. An object with a method rather
 * than a closure: the method is one function for every operator, so code V8 compiled for one
 * query's frames serves the next without deoptimizing on a new call target.
 */
export interface ArgReader<R> {
  read(r: R): Value;
}

/** The argument as column `column` of a row's values. */
export class ValuesArg implements ArgReader<{ readonly values: readonly Value[] }> {
  constructor(private readonly column: number) {}

  read(r: { readonly values: readonly Value[] }): Value {
    return r.values[this.column]!;
  }
}

export type SavedAggregate = [count: number, sum: number, odd: number[], best: Value];

export class SlidingAggregate<R> {
  count = 0;
  /** The frame's finite values' sum; its +Infinity, -Infinity and NaN values are counted apart (a frame slides them out again). */
  sum = 0;
  /** How many +Infinity, -Infinity and NaN values the frame holds (by nonFiniteKind). */
  private readonly odd = new Float64Array(3);
  /** Row indices, values monotonic (MIN: increasing, MAX: decreasing). */
  queue: number[] = [];
  /** A growing frame's MIN or MAX so far (null: no value yet). */
  private best: Value = null;
  /** AVG over a DECIMAL: 10^scale of the argument (the unscaled sum is divided by it). */
  private readonly unit: number;

  /** `argScale`: the scale of a DECIMAL argument (0 otherwise); `growing`: rows are only ever added. */
  constructor(
    private readonly call: OverCall,
    private readonly arg: ArgReader<R> | null,
    argScale = 0,
    private readonly growing = false,
  ) {
    this.unit = pow10(argScale);
  }

  /** A growing frame's whole state (to checkpoint it: its rows are gone). */
  saved(): SavedAggregate {
    return [this.count, this.sum, [...this.odd], this.best];
  }

  /** Takes back a growing frame's state from {@link saved}. */
  restoreSaved([count, sum, odd, best]: SavedAggregate): void {
    this.count = count;
    this.sum = sum;
    this.odd.set(odd);
    this.best = best;
  }

  /** Back to an empty frame (to compute another range of rows). */
  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.odd.fill(0);
    this.queue.length = 0;
    this.best = null;
  }

  add(rows: readonly R[], i: number): void {
    const v = this.arg ? this.arg.read(rows[i]!) : 1;
    if (v === null) return;
    this.count++;
    if (this.call.fn === 'SUM' || this.call.fn === 'AVG') this.addToSum(v as number, 1);
    if (this.call.fn === 'MIN' || this.call.fn === 'MAX') {
      const max = this.call.fn === 'MAX';
      if (this.growing) {
        // On a tie the later value wins, as in the queue.
        if (this.best === null || (max ? compareSql(v, this.best) >= 0 : compareSql(v, this.best) <= 0)) this.best = v;
        return;
      }
      while (this.queue.length > 0) {
        const last = this.arg!.read(rows[this.queue[this.queue.length - 1]!]!)!;
        // `v` outdoes `last` (or ties it: the later row stays in the frame longer).
        if (max ? compareSql(last, v) <= 0 : compareSql(last, v) >= 0) this.queue.pop();
        else break;
      }
      this.queue.push(i);
    }
  }

  remove(rows: readonly R[], i: number): void {
    if (this.growing) throw new Error('a growing frame loses no rows');
    const v = this.arg ? this.arg.read(rows[i]!) : 1;
    if (v === null) return;
    this.count--;
    if (this.call.fn === 'SUM' || this.call.fn === 'AVG') this.addToSum(v as number, -1);
    if (this.queue[0] === i) this.queue.shift();
  }

  private addToSum(x: number, s: number): void {
    if (x - x === 0) this.sum += s * x;
    else this.odd[nonFiniteKind(x)] += s;
  }

  /** The frame's sum, its non-finite values included. */
  private total(): number {
    return sumWithNonFinite(this.sum, this.odd[0]!, this.odd[1]!, this.odd[2]!);
  }

  value(rows: readonly R[]): Value {
    switch (this.call.fn) {
      case 'COUNT':
        return this.count;
      case 'SUM':
        if (this.count === 0) return null;
        return isDecimal(this.call.type) ? checkDecimal(this.sum, this.call.type, `SUM(…) OVER as ${this.call.type}`) : this.total();
      case 'AVG':
        return this.count === 0 ? null : this.total() / (this.count * this.unit);
      default:
        if (this.growing) return this.best;
        return this.queue.length === 0 ? null : this.arg!.read(rows[this.queue[0]!]!);
    }
  }

  /** Row indices shift down by `n` after the rows before them were dropped. */
  shift(n: number): void {
    for (let k = 0; k < this.queue.length; k++) this.queue[k]! -= n;
  }
}
