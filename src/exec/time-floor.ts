/**
 * The least event time over the rows an operator holds and may still emit (Top-N, changelog
 * OVER): its output watermark may not pass it, or a downstream window would find the row late
 * when it comes back (a -D of a row pushed out of the top, a -U/+U of a renumbered row).
 * A heap with lazy deletion: rows that went are skipped when they reach the top, and the heap
 * is rebuilt when mostly stale, so memory follows the rows held.
 */
import type { Schema, Value } from '../types.js';
import { MinHeap } from './window/min-heap.js';

export class TimeFloor<T extends { readonly values: readonly Value[] }> {
  private heap = new MinHeap<T>();
  private readonly live = new Map<T, number>();

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
    this.live.set(row, t);
    this.heap.push(t, row);
  }

  remove(row: T): void {
    this.live.delete(row);
  }

  /** The least event time held (Infinity: none). */
  min(): number {
    while (this.heap.size > 0 && this.live.get(this.heap.peekValue()!) !== this.heap.peekKey()) this.heap.pop();
    if (this.heap.size > 2 * this.live.size + 64) {
      this.heap = new MinHeap();
      for (const [row, t] of this.live) this.heap.push(t, row);
    }
    return this.heap.peekKey() ?? Infinity;
  }

  clear(): void {
    this.heap = new MinHeap();
    this.live.clear();
  }
}
