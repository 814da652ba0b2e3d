/**
 * COUNT(DISTINCT x) of a numeric x for every group, without a Map per group: one
 * open-addressing table of (group, value) entries in typed arrays, each group's entries
 * chained so a group can be listed (checkpoints) or dropped (reset) without a scan.
 *
 * The table has one or more lanes, each a separate COUNT(DISTINCT) with its own
 * multiplicities and per-group counts of distinct values; an entry lives while any lane
 * holds it. Lanes let calls over one column, some filtered (`COUNT(DISTINCT CASE WHEN c THEN
 * x END)`), share one table: a row's value is looked up once for all of them
 * (updateLanes), and the table holds each (group, value) once.
 *
 * A lane reads as a Map would, so checkpoints read the same: its values list in insertion
 * order (a value that left and came back goes last; each lane entry keeps the sequence
 * number of when it entered), values compare as a Map's keys do (SameValueZero: -0 is 0,
 * NaN is NaN), and multiplicities move exactly as GroupMultisets' (a value goes when its
 * count reaches 0), so the two give the same counts.
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

/** SameValueZero, as a Map key: -0 is 0, and every NaN is one NaN. */
function keyOf(value: number): number {
  return value === 0 ? 0 : value !== value ? NaN : value;
}

export class DistinctCounts {
  /** Per entry: its group, value, slot in the index, neighbours in its group's chain, and lanes holding it (several lanes only). */
  private eGroup = new Int32Array(64);
  private eValue = new Float64Array(64);
  private eSlot = new Int32Array(64);
  private eNext = new Int32Array(64);
  private ePrev = new Int32Array(64);
  private eLive = new Int32Array(64);
  /** Per entry and lane (entry * lanes + lane): multiplicity (0: not in the lane) and when it entered the lane. */
  private eCount: Float64Array;
  private eSeq: Float64Array;
  private seq = 0;
  private entries = 0;
  private freeEntries: number[] = [];
  /** Per group: its first and last entries (-1: none). */
  private head = new Int32Array(16).fill(-1);
  private tail = new Int32Array(16).fill(-1);
  /** Per group and lane (group * lanes + lane): its number of distinct values. */
  private sizes: Int32Array;
  /** Open addressing: entry id + 1, EMPTY or GONE (a removed entry, skipped by probes). */
  private slots = new Int32Array(256);
  private used = 0;

  constructor(
    private readonly argType: SqlType,
    readonly lanes = 1,
  ) {
    this.eCount = new Float64Array(64 * lanes);
    // One lane lists in chain order (see pairs) and needs no sequence numbers.
    this.eSeq = new Float64Array(lanes > 1 ? 64 * lanes : 0);
    this.sizes = new Int32Array(16 * lanes);
  }

  /** The number of distinct values of group g in a lane. */
  size(g: number, lane = 0): number {
    const k = g * this.lanes + lane;
    return k < this.sizes.length ? this.sizes[k]! : 0;
  }

  /** Folds rows 0..n-1 of a numeric column into their groups in one lane, with their signs (nulls skipped). */
  update(gids: Int32Array, n: number, arg: Data, signs: Int8Array | null, lane = 0): void {
    const values = arg.values as Float64Array | Int32Array;
    const valid = arg.nullCount > 0 ? arg.nullBitmap : null;
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0) continue;
      if (valid !== null && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      this.add(g, values[i]!, signs === null ? 1 : signs[i]!, lane);
    }
  }

  /**
   * As update for column args[j] into lane lanes[j], every j, row by row: a row's value is
   * looked up once for the lanes that hold the same value in that row.
   */
  updateLanes(gids: Int32Array, n: number, args: readonly Data[], lanes: readonly number[], signs: Int8Array | null): void {
    const m = args.length;
    const values = args.map((a) => a.values as Float64Array | Int32Array);
    const valid = args.map((a) => (a.nullCount > 0 ? a.nullBitmap : null));
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0) continue;
      const count = signs === null ? 1 : signs[i]!;
      if (count === 0) continue;
      let e = -1;
      let last = 0;
      for (let j = 0; j < m; j++) {
        const vb = valid[j]!;
        if (vb !== null && ((vb[i >> 3]! >> (i & 7)) & 1) === 0) continue;
        const v = keyOf(values[j]![i]!);
        if (e < 0 || !(v === last || (v !== v && last !== last))) {
          e = this.find(g, v);
          last = v;
        }
        if (this.bump(e, g, lanes[j]!, count)) e = -1;
      }
    }
  }

  /** Adds `count` occurrences of `v` to group g in a lane (negative: takes them away). */
  add(g: number, value: number, count: number, lane = 0): void {
    if (count === 0) return;
    this.bump(this.find(g, keyOf(value)), g, lane, count);
  }

  /** The entry of (g, v), made (in no lane yet) if absent; v already a key (keyOf). */
  private find(g: number, v: number): number {
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
        if (this.eGroup[e] === g) {
          const w = this.eValue[e]!;
          if (w === v || (v !== v && w !== w)) return e;
        }
      }
      p = (p + 1) & mask;
    }
    return this.insert(grave >= 0 ? grave : p, g, v);
  }

  /** Adds `count` (not 0) to entry e's multiplicity in a lane; true when that freed the entry. */
  private bump(e: number, g: number, lane: number, count: number): boolean {
    const L = this.lanes;
    const k = e * L + lane;
    const old = this.eCount[k]!;
    const c = old + count;
    this.eCount[k] = c;
    if (old === 0) {
      this.sizes[g * L + lane]!++;
      if (L > 1) {
        this.eSeq[k] = this.seq++;
        this.eLive[e]!++;
      }
    } else if (c === 0) {
      this.sizes[g * L + lane]!--;
      // One lane: the entry is in no lane now.
      if (L === 1 || --this.eLive[e]! === 0) {
        this.remove(e);
        return true;
      }
    }
    return false;
  }

  private insert(slot: number, g: number, v: number): number {
    const e = this.freeEntries.length > 0 ? this.freeEntries.pop()! : this.entries++;
    if (e >= this.eGroup.length) this.growEntries(e + 1);
    if (g >= this.head.length) this.growGroups(g + 1);
    if (this.slots[slot] === EMPTY) this.used++;
    this.slots[slot] = e + 1;
    this.eGroup[e] = g;
    this.eValue[e] = v;
    this.eSlot[e] = slot;
    // Every lane's count is 0: a new entry's are, and a freed one's went to 0.
    this.eLive[e] = 0;
    const t = this.tail[g]!;
    this.ePrev[e] = t;
    this.eNext[e] = -1;
    if (t >= 0) this.eNext[t] = e;
    else this.head[g] = e;
    this.tail[g] = e;
    if (this.used * 2 > this.slots.length) this.rehash();
    return e;
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
    this.eGroup[e] = -1;
    this.freeEntries.push(e);
  }

  /** Drops group g's values from a lane (its id will be reused). */
  reset(g: number, lane = 0): void {
    if (g >= this.head.length) return;
    const L = this.lanes;
    for (let e = this.head[g]!; e >= 0; ) {
      const next = this.eNext[e]!;
      const k = e * L + lane;
      if (this.eCount[k] !== 0) {
        this.eCount[k] = 0;
        if (L === 1 || --this.eLive[e]! === 0) this.remove(e);
      }
      e = next;
    }
    this.sizes[g * L + lane] = 0;
  }

  /** Folds group `src` of `from`'s lane `fromLane` into group `dst` of a lane. */
  merge(dst: number, src: number, from: DistinctCounts, lane = 0, fromLane = 0): void {
    // Listed first: folding into this same table may move its entries.
    const pairs = from.pairs(src, fromLane);
    for (let k = 0; k < pairs.length; k += 2) this.add(dst, pairs[k]!, pairs[k + 1]!, lane);
  }

  /** Group g's values and multiplicities in a lane, value then count, in the order they entered it. */
  pairs(g: number, lane = 0): number[] {
    const out: number[] = [];
    if (g >= this.head.length) return out;
    const L = this.lanes;
    if (L === 1) {
      // One lane: an entry is made when its value enters the lane, so the chain is in order.
      for (let e = this.head[g]!; e >= 0; e = this.eNext[e]!) out.push(this.eValue[e]!, this.eCount[e]!);
      return out;
    }
    const held: number[] = [];
    for (let e = this.head[g]!; e >= 0; e = this.eNext[e]!) if (this.eCount[e * L + lane] !== 0) held.push(e);
    held.sort((a, b) => this.eSeq[a * L + lane]! - this.eSeq[b * L + lane]!);
    for (const e of held) out.push(this.eValue[e]!, this.eCount[e * L + lane]!);
    return out;
  }

  /** As GroupMultisets.save: [value, count] pairs. */
  save(g: number, lane = 0): [Value, number][] {
    const p = this.pairs(g, lane);
    const out: [Value, number][] = [];
    for (let k = 0; k < p.length; k += 2) out.push([p[k]!, p[k + 1]!]);
    return out;
  }

  load(g: number, state: readonly (readonly [Value, number])[], lane = 0): void {
    this.reset(g, lane);
    for (const [v, c] of state) this.add(g, v as number, c, lane);
  }

  /** Groups ids[0..n) of a lane column-wise, in GroupMultisets' layout (see saveMultisetColumns). */
  saveColumns(ids: Int32Array, n: number, into: ColumnarState, prefix: string, lane = 0): void {
    saveMultisetColumns(this.argType, ids, n, into, prefix, (g) => this.size(g, lane), (g, add) => {
      const p = this.pairs(g, lane);
      for (let k = 0; k < p.length; k += 2) add(p[k]!, p[k + 1]!);
    });
  }

  loadColumns(ids: Int32Array, n: number, from: ColumnarState, prefix: string, lane = 0): void {
    loadMultisetColumns(this.argType, ids, n, from, prefix, (g, pairs) => this.load(g, pairs, lane));
  }

  private growEntries(n: number): void {
    this.eGroup = grown(this.eGroup, n);
    this.eValue = grown(this.eValue, n);
    this.eSlot = grown(this.eSlot, n);
    this.eNext = grown(this.eNext, n);
    this.ePrev = grown(this.ePrev, n);
    this.eLive = grown(this.eLive, n);
    this.eCount = grown(this.eCount, this.eGroup.length * this.lanes);
    if (this.lanes > 1) this.eSeq = grown(this.eSeq, this.eGroup.length * this.lanes);
  }

  private growGroups(n: number): void {
    const old = this.head.length;
    this.head = grown(this.head, n);
    this.head.fill(-1, old);
    this.tail = grown(this.tail, n);
    this.tail.fill(-1, old);
    this.sizes = grown(this.sizes, this.head.length * this.lanes);
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
