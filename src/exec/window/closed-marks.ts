/**
 * The end of each partition's latest closed session, by dense partition id: a row of the
 * partition before it is late. Kept for every partition seen until the stream ends (see
 * session-aggregate.ts), so it is a Float64Array (8 bytes a partition) rather than a Map.
 */
export class ClosedMarks {
  /** id → mark; NaN: none. */
  private marks = new Float64Array(64).fill(NaN);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The mark of partition `p`, or -Infinity when it has none. */
  get(p: number): number {
    const m = p < this.marks.length ? this.marks[p]! : NaN;
    return m === m ? m : -Infinity;
  }

  has(p: number): boolean {
    return p < this.marks.length && !Number.isNaN(this.marks[p]!);
  }

  set(p: number, until: number): void {
    if (p >= this.marks.length) {
      const grown = new Float64Array(Math.max(p + 1, this.marks.length * 2)).fill(NaN);
      grown.set(this.marks);
      this.marks = grown;
    }
    if (Number.isNaN(this.marks[p]!)) this.count++;
    this.marks[p] = until;
  }

  delete(p: number): void {
    if (!this.has(p)) return;
    this.marks[p] = NaN;
    this.count--;
  }

  /** The partitions that have a mark. */
  *keys(): IterableIterator<number> {
    const m = this.marks;
    for (let p = 0; p < m.length; p++) if (!Number.isNaN(m[p]!)) yield p;
  }
}
