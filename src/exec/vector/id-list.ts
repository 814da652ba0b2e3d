/**
 * IdList: a growable list of int32 ids, such as the groups of one open window or pane.
 * A window's groups live for the window's length, long enough for the JS heap to promote
 * them; a Set of thousands of numbers per window then became old-space garbage at every
 * close (peak RSS grew with the run). Here the ids sit in one typed array off the heap, and
 * a closed window's list is cleared and reused.
 */
import { grown } from '../agg/accumulator.js';

export class IdList {
  private ids: Int32Array;
  length = 0;

  constructor(capacity = 16) {
    this.ids = new Int32Array(capacity);
  }

  push(id: number): void {
    if (this.length === this.ids.length) this.ids = grown(this.ids, this.length + 1);
    this.ids[this.length++] = id;
  }

  /** The ids, in the order they were pushed (a view: valid until the next push or clear). */
  view(): Int32Array {
    return this.ids.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }

  [Symbol.iterator](): IterableIterator<number> {
    return this.view()[Symbol.iterator]();
  }
}

/** Cleared lists to reuse, so closing and opening windows allocates nothing in the long run. */
export class IdListPool {
  private readonly spare: IdList[] = [];

  take(): IdList {
    return this.spare.pop() ?? new IdList();
  }

  give(list: IdList): void {
    list.clear();
    // A few spares cover the windows open at once; more would only hold memory.
    if (this.spare.length < 64) this.spare.push(list);
  }
}
