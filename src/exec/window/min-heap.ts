import { NumberHeap } from './number-heap.js';

/**
 * A binary min-heap of (key, value) pairs with any values (sessions): a {@link NumberHeap}
 * ordered by key whose values are slots of an array holding the values.
 */
export class MinHeap<T> {
  private readonly heap = new NumberHeap();
  private items: (T | undefined)[] = [];
  /** Slots of `items` free for the next push. */
  private free: number[] = [];

  get size(): number {
    return this.heap.size;
  }

  peekKey(): number | undefined {
    return this.heap.peekKey();
  }

  peekValue(): T | undefined {
    const slot = this.heap.peekValue();
    return slot === undefined ? undefined : this.items[slot];
  }

  push(key: number, value: T): void {
    const slot = this.free.pop() ?? this.items.length;
    this.items[slot] = value;
    this.heap.push(key, slot);
  }

  pop(): [number, T] | undefined {
    const key = this.heap.peekKey();
    const slot = this.heap.peekValue();
    if (key === undefined || slot === undefined) return undefined;
    this.heap.removeTop();
    const value = this.items[slot]!;
    this.items[slot] = undefined;
    this.free.push(slot);
    return [key, value];
  }

  clear(): void {
    this.heap.clear();
    this.items = [];
    this.free = [];
  }
}
