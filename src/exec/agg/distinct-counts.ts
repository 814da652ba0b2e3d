/**
 * COUNT(DISTINCT x) of a numeric x for every group, without a Map per group: one
 * open-addressing table of (group, value) → multiplicity in typed arrays, each group's
 * entries chained so a group can be listed (checkpoints) or dropped (reset) without a scan,
 * and each group's count of distinct values kept as it changes. Chains keep a Map's order
 * (insertion; a value that left and came back goes last), so checkpoints read the same.
 * Values compare as a Map's
 * keys do (SameValueZero: -0 is 0, NaN is NaN), and multiplicities move exactly as
 * GroupMultisets' (an entry goes when its count reaches 0), so the two give the same counts.
 */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import type { ColumnarState } from '../columnar-state.js';
import { grown } from './accumulator.js';
import { loadMultisetColumns, saveMultisetColumns } from './multiset.js';

const EMPTY = 0;
const GONE = -1;
const bits = new Float64Array(1);
const words = new Int32Array(bits.buffer);

function hashOf(g: number, v: number): number {
  bits[0] = v;
  let h = Math.imul(words[0]! ^ Math.imul(words[1]!, 0x9e3779b1), 0x85ebca77) ^ Math.imul(g, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}

export class DistinctCounts {
  /** Per entry: its group, value, multiplicity, slot in the index, and neighbours in its group's chain. */
  private eGroup = new Int32Array(64);
  private eValue = new Float64Array(64);
  private eCount = new Float64Array(64);
  private eSlot = new Int32Array(64);
  private eNext = new Int32Array(64);
  private ePrev = new Int32Array(64);
  private entries = 0;
  private freeEntries: number[] = [];
  /** Per group: its first and last entries (-1: none) and its number of entries. */
  private head = new Int32Array(16).fill(-1);
  private tail = new Int32Array(16).fill(-1);
  private sizes = new Int32Array(16);
  /** Open addressing: entry id + 1, EMPTY or GONE (a removed entry, skipped by probes). */
  private slots = new Int32Array(256);
  private used = 0;

  constructor(private readonly argType: SqlType) {}

  /** The number of distinct values of group g. */
  size(g: number): number {
    return g < this.sizes.length ? this.sizes[g]! : 0;
  }

  /** Folds rows 0..n-1 of a numeric column into their groups with their signs (nulls skipped). */
  update(gids: Int32Array, n: number, arg: Data, signs: Int8Array | null): void {
    const values = arg.values as Float64Array | Int32Array;
    const valid = arg.nullCount > 0 ? arg.nullBitmap : null;
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0) continue;
      if (valid !== null && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      this.add(g, values[i]!, signs === null ? 1 : signs[i]!);
    }
  }

  /** Adds `count` occurrences of `v` to group g (negative: takes them away). */
  add(g: number, value: number, count: number): void {
    // SameValueZero, as a Map key: -0 is 0, and every NaN is one NaN.
    const v = value === 0 ? 0 : value !== value ? NaN : value;
    const mask = this.slots.length - 1;
    let p = hashOf(g, v) & mask;
    let grave = -1;
    for (;;) {
      const s = this.slots[p]!;
      if (s === EMPTY) break;
      if (s === GONE) {
        if (grave < 0) grave = p;
      } else {
        const e = s - 1;
        if (this.eGroup[e] === g && (this.eValue[e] === v || (v !== v && this.eValue[e] !== this.eValue[e]))) {
          const c = this.eCount[e]! + count;
          if (c === 0) this.remove(e);
          else this.eCount[e] = c;
          return;
        }
      }
      p = (p + 1) & mask;
    }
    if (count === 0) return;
    this.insert(grave >= 0 ? grave : p, g, v, count);
  }

  private insert(slot: number, g: number, v: number, count: number): void {
    const e = this.freeEntries.length > 0 ? this.freeEntries.pop()! : this.entries++;
    if (e >= this.eGroup.length) this.growEntries(e + 1);
    if (g >= this.head.length) this.growGroups(g + 1);
    if (this.slots[slot] === EMPTY) this.used++;
    this.slots[slot] = e + 1;
    this.eGroup[e] = g;
    this.eValue[e] = v;
    this.eCount[e] = count;
    this.eSlot[e] = slot;
    const t = this.tail[g]!;
    this.ePrev[e] = t;
    this.eNext[e] = -1;
    if (t >= 0) this.eNext[t] = e;
    else this.head[g] = e;
    this.tail[g] = e;
    this.sizes[g]!++;
    if (this.used * 2 > this.slots.length) this.rehash();
  }

  private remove(e: number): void {
    this.slots[this.eSlot[e]!] = GONE;
    const g = this.eGroup[e]!;
    const next = this.eNext[e]!;
    const prev = this.ePrev[e]!;
    if (prev >= 0) this.eNext[prev] = next;
    else this.head[g] = next;
    if (next >= 0) this.ePrev[next] = prev;
    else this.tail[g] = prev;
    this.sizes[g]!--;
    this.eGroup[e] = -1;
    this.freeEntries.push(e);
  }

  /** Drops group g's values (its id will be reused). */
  reset(g: number): void {
    if (g >= this.head.length) return;
    for (let e = this.head[g]!; e >= 0; ) {
      const next = this.eNext[e]!;
      this.slots[this.eSlot[e]!] = GONE;
      this.eGroup[e] = -1;
      this.freeEntries.push(e);
      e = next;
    }
    this.head[g] = -1;
    this.tail[g] = -1;
    this.sizes[g] = 0;
  }

  /** Folds group `src` of `from` into group `dst`. */
  merge(dst: number, src: number, from: DistinctCounts): void {
    if (src >= from.head.length) return;
    // Listed first: folding into this same table may move its entries.
    const pairs = from.pairs(src);
    for (let k = 0; k < pairs.length; k += 2) this.add(dst, pairs[k]!, pairs[k + 1]!);
  }

  /** Group g's values and multiplicities, value then count. */
  pairs(g: number): number[] {
    const out: number[] = [];
    if (g >= this.head.length) return out;
    for (let e = this.head[g]!; e >= 0; e = this.eNext[e]!) out.push(this.eValue[e]!, this.eCount[e]!);
    return out;
  }

  /** As GroupMultisets.save: [value, count] pairs. */
  save(g: number): [Value, number][] {
    const p = this.pairs(g);
    const out: [Value, number][] = [];
    for (let k = 0; k < p.length; k += 2) out.push([p[k]!, p[k + 1]!]);
    return out;
  }

  load(g: number, state: readonly (readonly [Value, number])[]): void {
    this.reset(g);
    for (const [v, c] of state) this.add(g, v as number, c);
  }

  /** Groups ids[0..n) column-wise, in GroupMultisets' layout (see saveMultisetColumns). */
  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string): void {
    saveMultisetColumns(this.argType, ids, n, into, prefix, (g) => this.size(g), (g, add) => {
      if (g >= this.head.length) return;
      for (let e = this.head[g]!; e >= 0; e = this.eNext[e]!) add(this.eValue[e]!, this.eCount[e]!);
    });
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string): void {
    loadMultisetColumns(this.argType, ids, n, from, prefix, (g, pairs) => this.load(g, pairs));
  }

  private growEntries(n: number): void {
    this.eGroup = grown(this.eGroup, n);
    this.eValue = grown(this.eValue, n);
    this.eCount = grown(this.eCount, n);
    this.eSlot = grown(this.eSlot, n);
    this.eNext = grown(this.eNext, n);
    this.ePrev = grown(this.ePrev, n);
  }

  private growGroups(n: number): void {
    const old = this.head.length;
    this.head = grown(this.head, n);
    this.head.fill(-1, old);
    this.tail = grown(this.tail, n);
    this.tail.fill(-1, old);
    this.sizes = grown(this.sizes, n);
  }

  /** A new index for the live entries: twice as large when at least a quarter of the old is live. */
  private rehash(): void {
    const live = this.entries - this.freeEntries.length;
    const size = live * 4 > this.slots.length ? this.slots.length * 2 : this.slots.length;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let e = 0; e < this.entries; e++) {
      const g = this.eGroup[e]!;
      if (g < 0) continue;
      let p = hashOf(g, this.eValue[e]!) & mask;
      while (slots[p] !== EMPTY) p = (p + 1) & mask;
      slots[p] = e + 1;
      this.eSlot[e] = p;
    }
    this.slots = slots;
    this.used = live;
  }
}
