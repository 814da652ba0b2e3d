/**
 * The least event time over the rows an operator holds and may still emit (changelog OVER):
 * its output watermark may not pass it, or a downstream window would find the row late when
 * it comes back (a -D of a row pushed out of the top, a -U/+U of a renumbered row).
 * A heap with lazy deletion: rows that went are skipped when they reach the top, and the heap
 * is rebuilt when mostly stale, so memory follows the rows held. A held row carries its own
 * time (`held`, NaN once it went), so holding a row adds no map entry: an OVER over a
 * changelog holds every row it has seen, and a Map of them cost more than the rest of a
 * row's bookkeeping.
 */
import type { Schema, Value } from '../types.js';
import { MinHeap } from './window/min-heap.js';

/** A row a TimeFloor can hold: `held` is the floor's to write (NaN when not held). */
export interface FloorRow {
  readonly values: readonly Value[];
  held: number;
}

export class TimeFloor<T extends FloorRow> {
  private heap = new MinHeap<T>();
  /** Rows held (with a finite time). */
  private live = 0;

  /** @param columns the event-time columns of a held row's values */
  constructor(private readonly columns: readonly number[]) {}

  /** The event-time columns of a schema (timeAttr ones). */
  static columnsOf(schema: Schema, width = schema.length): number[] {
    return schema.slice(0, width).flatMap((c, i) => (c.timeAttr === true ? [i] : []));
  }

  get enabled(): boolean {
    return this.columns.length > 0;
  }

  add(row: T): void {
    if (this.columns.length === 0) return;
    let t = Infinity;
    for (const c of this.columns) {
      const v = row.values[c];
      if (typeof v === 'number' && v < t) t = v;
    }
    if (t === Infinity) return;
    if (row.held === row.held) this.live--;
    row.held = t;
    this.live++;
    this.heap.push(t, row);
  }

  remove(row: T): void {
    if (row.held !== row.held) return;
    row.held = NaN;
    this.live--;
  }

  /** The least event time held (Infinity: none). */
  min(): number {
    while (this.heap.size > 0 && this.heap.peekValue()!.held !== this.heap.peekKey()) this.heap.pop();
    if (this.heap.size > 2 * this.live + 64) {
      const old = this.heap;
      this.heap = new MinHeap();
      for (let e = old.pop(); e !== undefined; e = old.pop()) if (e[1].held === e[0]) this.heap.push(e[0], e[1]);
    }
    return this.heap.peekKey() ?? Infinity;
  }

  clear(): void {
    this.heap = new MinHeap();
    this.live = 0;
  }
}
