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
  private head = new Float64Array(64).fill(-1);
  private tail = new Float64Array(64).fill(-1);
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
    return id < this.head.length ? this.head[id]! : -1;
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
    const last = id < 0 ? this.nullTail : this.tail[id]!;
    this.next[b]![row] = -1;
    this.prev[b]![row] = last;
    if (last === -1) this.setHead(id, ref);
    else this.next[Math.floor(last / REF_SPLIT)]![refRow(last)] = ref;
    if (id < 0) this.nullTail = ref;
    else {
      this.tail[id] = ref;
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
      else this.tail[id] = before;
    } else this.prev[Math.floor(after / REF_SPLIT)]![refRow(after)] = before;
    if (id >= 0) this.count[id]!--;
  }

  private setHead(id: number, ref: number): void {
    if (id < 0) this.nullHead = ref;
    else this.head[id] = ref;
  }

  private ensure(id: number): void {
    if (id < this.head.length) return;
    let cap = this.head.length;
    while (cap <= id) cap *= 2;
    const grow = (a: Float64Array) => {
      const g = new Float64Array(cap).fill(-1);
      g.set(a);
      return g;
    };
    this.head = grow(this.head);
    this.tail = grow(this.tail);
    const c = new Int32Array(cap);
    c.set(this.count);
    this.count = c;
  }
}
