/**
 * Lists of stored rows by id (a join key's id, or a whole row's id), oldest first, as
 * doubly linked lists in typed arrays: a head, tail and count per id, a next and prev
 * pointer per row. Linking or unlinking a row is O(1) and allocates nothing, which a Map of
 * arrays could not give (a retraction from a key with thousands of rows walked its list).
 *
 * A row is named by a ref: batch * REF_SPLIT + row. Id -1 (a NULL key) has its own list.
 */
export const REF_SPLIT = 2 ** 21;

/** The row of a ref within its batch (not `%`: refs pass 2^31, where `%` is a slow float modulo). */
export function refRow(ref: number): number {
  return ref - Math.floor(ref / REF_SPLIT) * REF_SPLIT;
}
const NONE = new Float64Array(0);

export class RefChains {
  /**
   * Per id its oldest and newest ref, side by side ([2 id], [2 id + 1]): one cache line tells
   * a probe both where a key's list starts and that a one-row list ends there.
   */
  private ends = new Float64Array(128).fill(-1);
  private count = new Int32Array(64);
  private nullHead = -1;
  private nullTail = -1;
  private readonly next: Float64Array[] = [];
  private readonly prev: Float64Array[] = [];

  /** Room for the rows of a new batch (batches are numbered in the order they are added); n = 0: none yet, see sizeBatch. */
  addBatch(n: number): void {
    this.next.push(n === 0 ? NONE : new Float64Array(n));
    this.prev.push(n === 0 ? NONE : new Float64Array(n));
  }

  /** Room for the n rows of batch b, added with none. */
  sizeBatch(b: number, n: number): void {
    this.next[b] = new Float64Array(n);
    this.prev[b] = new Float64Array(n);
  }

  /** Lets a batch's pointers go: none of its rows may be linked any more. */
  freeBatch(b: number): void {
    this.next[b] = NONE;
    this.prev[b] = NONE;
  }

  /** The oldest row with this id, or -1; follow with nextOf. */
  first(id: number): number {
    if (id < 0) return this.nullHead;
    return 2 * id < this.ends.length ? this.ends[2 * id]! : -1;
  }

  /**
   * first() and last() of ids[0..n) into heads and tails (-1 where skip[i] is set or ids[i]
   * is -1). One tight loop of independent loads, so the memory system fetches many lists'
   * ends at once instead of one per probe row (q4: a bid's auction is anywhere in the table).
   */
  endsOf(ids: Int32Array, skip: Uint8Array, n: number, heads: Float64Array, tails: Float64Array): void {
    const ends = this.ends;
    const size = ends.length >> 1;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (skip[i] !== 0 || id < 0 || id >= size) {
        heads[i] = -1;
        tails[i] = -1;
      } else {
        heads[i] = ends[2 * id]!;
        tails[i] = ends[2 * id + 1]!;
      }
    }
  }

  /** The newest row with this id, or -1. */
  last(id: number): number {
    if (id < 0) return this.nullTail;
    return 2 * id < this.ends.length ? this.ends[2 * id + 1]! : -1;
  }

  nextOf(ref: number): number {
    return this.next[Math.floor(ref / REF_SPLIT)]![refRow(ref)]!;
  }

  /** Rows linked under `id` (not counted for -1). */
  countOf(id: number): number {
    return id >= 0 && id < this.count.length ? this.count[id]! : 0;
  }

  /** Links `ref` as the newest row of `id`. */
  link(id: number, ref: number): void {
    const b = Math.floor(ref / REF_SPLIT);
    const row = refRow(ref);
    if (id >= 0) this.ensure(id);
    const last = id < 0 ? this.nullTail : this.ends[2 * id + 1]!;
    this.next[b]![row] = -1;
    this.prev[b]![row] = last;
    if (last === -1) this.setHead(id, ref);
    else this.next[Math.floor(last / REF_SPLIT)]![refRow(last)] = ref;
    if (id < 0) this.nullTail = ref;
    else {
      this.ends[2 * id + 1] = ref;
      this.count[id]!++;
    }
  }

  /** Unlinks `ref`, which is linked under `id`. */
  unlink(id: number, ref: number): void {
    const b = Math.floor(ref / REF_SPLIT);
    const row = refRow(ref);
    const before = this.prev[b]![row]!;
    const after = this.next[b]![row]!;
    if (before === -1) this.setHead(id, after);
    else this.next[Math.floor(before / REF_SPLIT)]![refRow(before)] = after;
    if (after === -1) {
      if (id < 0) this.nullTail = before;
      else this.ends[2 * id + 1] = before;
    } else this.prev[Math.floor(after / REF_SPLIT)]![refRow(after)] = before;
    if (id >= 0) this.count[id]!--;
  }

  private setHead(id: number, ref: number): void {
    if (id < 0) this.nullHead = ref;
    else this.ends[2 * id] = ref;
  }

  private ensure(id: number): void {
    if (id < this.count.length) return;
    let cap = this.count.length;
    while (cap <= id) cap *= 2;
    const ends = new Float64Array(2 * cap).fill(-1);
    ends.set(this.ends);
    this.ends = ends;
    const c = new Int32Array(cap);
    c.set(this.count);
    this.count = c;
  }
}
