import { grown } from '../agg/accumulator.js';

/**
 * A binary min-heap of (key, value) pairs of numbers (an event time and a slot, key id or
 * row reference), in two Float64Arrays: a push or a pop allocates nothing, where MinHeap's
 * arrays of boxed values and the pair each pop returned fed the garbage collector (a Top-N
 * or a deduplication pushes once per row it holds).
 */
export class NumberHeap {
  private keys = new Float64Array(64);
  private values = new Float64Array(64);
  private n = 0;

  get size(): number {
    return this.n;
  }

  peekKey(): number | undefined {
    return this.n > 0 ? this.keys[0] : undefined;
  }

  peekValue(): number | undefined {
    return this.n > 0 ? this.values[0] : undefined;
  }

  push(key: number, value: number): void {
    if (this.n === this.keys.length) this.grow();
    const k = this.keys;
    const v = this.values;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! <= key) break;
      k[i] = k[p]!;
      v[i] = v[p]!;
      i = p;
    }
    k[i] = key;
    v[i] = value;
  }

  /** Removes the least pair (the one peekKey and peekValue show). */
  removeTop(): void {
    if (this.n === 0) return;
    const k = this.keys;
    const v = this.values;
    const n = --this.n;
    if (n === 0) return;
    const lastK = k[n]!;
    const lastV = v[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && k[r]! < k[l]! ? r : l;
      if (k[c]! >= lastK) break;
      k[i] = k[c]!;
      v[i] = v[c]!;
      i = c;
    }
    k[i] = lastK;
    v[i] = lastV;
  }

  /** Removes and returns the least pair (allocates the pair: for paths that are not hot). */
  pop(): [number, number] | undefined {
    if (this.n === 0) return undefined;
    const top: [number, number] = [this.keys[0]!, this.values[0]!];
    this.removeTop();
    return top;
  }

  clear(): void {
    this.n = 0;
  }

  private grow(): void {
    this.keys = grown(this.keys, this.keys.length * 2);
    this.values = grown(this.values, this.values.length * 2);
  }
}
