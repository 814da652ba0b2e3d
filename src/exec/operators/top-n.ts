/**
 * ORDER BY … LIMIT n [OFFSET m] over a stream, globally or per partition (ROW_NUMBER() …
 * WHERE rn <= n), and the Top-N with ties (RANK() / DENSE_RANK() … WHERE r <= n): keeps each
 * partition's rows in order and emits the changes of the rows it selects (ranks m+1..m+n;
 * with ties, every row whose rank is at most n, so peers at the boundary are all in or all
 * out). When the rank column is selected, a row whose rank changes is retracted at its old
 * rank and inserted at its new one. Over an append-only input only the rows that can still
 * be selected are kept (ranks only grow as rows arrive); over a changelog every row is kept,
 * so a retraction can pull the next one up.
 *
 * Columnar: rows live in a {@link RowStore} (typed arrays by slot), partitions are found a
 * batch at a time in a {@link KeyTable}, and each partition is a sorted list of slot ids. Over
 * an append-only input a row that sorts after a full partition's last row is dropped after
 * comparing its ORDER BY keys in place, without copying it, and the others are copied in a
 * batch at a time.
 */
import { valueJson } from '../../value-json.js';
import type { Data } from 'apache-arrow';
import type { TopNNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { columnsOf, decodeUtf8, isRetraction, OP_DELETE, OP_INSERT, SCRATCH_ROWS, type ChangeBatch } from '../batch.js';
import type { Emitter, Operator, StateDelta } from '../operator.js';
import { StateChanges } from '../agg/state-changes.js';
import { OutputBuilder } from '../output-builder.js';
import { TimeFloor } from '../time-floor.js';
import { KeyTable } from '../vector/key-table.js';
import { RowStore } from '../vector/row-store.js';
import { NumberHeap } from '../window/number-heap.js';
import { grown } from '../agg/accumulator.js';
import { compareValues } from './ordered-rows.js';
import { compareSql } from '../../sql-order.js';
import { attachRowKeys, keySpaceOf, type KeySpace } from '../row-keys.js';

/** Compares row i of a batch (or a held slot) with a held slot on one ORDER BY key. */
interface KeyCompare {
  slots(a: number, b: number): number;
  row(cols: readonly Data[], i: number, slot: number): number;
  /** Row i of a batch against its row k. */
  rows(cols: readonly Data[], i: number, k: number): number;
}

/**
 * A number or boolean key. Comparators are classes, not closures: a method is one function
 * for every operator, so code V8 compiled for one query's comparator serves the next.
 */
class NumberKeyCompare implements KeyCompare {
  private readonly sign: number;
  private readonly nullSide: number;
  private readonly bool: boolean;

  constructor(
    private readonly store: RowStore,
    private readonly column: number,
    desc: boolean,
    nullsFirst: boolean,
  ) {
    this.sign = desc ? -1 : 1;
    this.nullSide = nullsFirst ? -1 : 1;
    this.bool = store.kinds[column] === 'bool';
  }

  private vals(): Float64Array | Int32Array {
    return this.store.kinds[this.column] === 'f64' ? this.store.f64[this.column]! : this.store.i32[this.column]!;
  }

  private num(x: number, y: number): number {
    const sign = this.sign;
    return x < y ? -sign : x > y ? sign : x === y ? 0 : sign * compareSql(x, y);
  }

  slots(a: number, b: number): number {
    const na = this.store.isNull(a, this.column);
    const nb = this.store.isNull(b, this.column);
    if (na || nb) return na === nb ? 0 : na ? this.nullSide : -this.nullSide;
    const v = this.vals();
    return this.num(v[a]!, v[b]!);
  }

  row(cols: readonly Data[], i: number, slot: number): number {
    const d = cols[this.column]!;
    const nr = rowIsNull(d, i);
    const ns = this.store.isNull(slot, this.column);
    if (nr || ns) return nr === ns ? 0 : nr ? this.nullSide : -this.nullSide;
    return this.num(rowNumber(d, i, this.bool), this.vals()[slot]!);
  }

  rows(cols: readonly Data[], i: number, k: number): number {
    const d = cols[this.column]!;
    const ni = rowIsNull(d, i);
    const nk = rowIsNull(d, k);
    if (ni || nk) return ni === nk ? 0 : ni ? this.nullSide : -this.nullSide;
    return this.num(rowNumber(d, i, this.bool), rowNumber(d, k, this.bool));
  }
}

/** A string (or NULL-typed) key: compared decoded, as SQL values. */
class ValueKeyCompare implements KeyCompare {
  private readonly key: { desc: boolean; nullsFirst: boolean };

  constructor(
    private readonly store: RowStore,
    private readonly column: number,
    desc: boolean,
    nullsFirst: boolean,
  ) {
    this.key = { desc, nullsFirst };
  }

  private rowValue(d: Data, i: number): Value {
    if (this.store.kinds[this.column] !== 'utf8' || rowIsNull(d, i)) return null;
    const off = d.valueOffsets as Int32Array;
    return decodeUtf8(d.values as Uint8Array, off[i]!, off[i + 1]!);
  }

  slots(a: number, b: number): number {
    return compareValues(this.store.value(a, this.column), this.store.value(b, this.column), this.key);
  }

  row(cols: readonly Data[], i: number, slot: number): number {
    return compareValues(this.rowValue(cols[this.column]!, i), this.store.value(slot, this.column), this.key);
  }

  rows(cols: readonly Data[], i: number, k: number): number {
    const d = cols[this.column]!;
    return compareValues(this.rowValue(d, i), this.rowValue(d, k), this.key);
  }
}

function keyCompare(store: RowStore, column: number, desc: boolean, nullsFirst: boolean): KeyCompare {
  const kind = store.kinds[column]!;
  return kind === 'f64' || kind === 'i32' || kind === 'bool'
    ? new NumberKeyCompare(store, column, desc, nullsFirst)
    : new ValueKeyCompare(store, column, desc, nullsFirst);
}

function rowIsNull(d: Data, i: number): boolean {
  return d.typeId === 1 || (d.nullCount > 0 && ((d.nullBitmap![i >> 3]! >> (i & 7)) & 1) === 0);
}

/** Row i of a number or boolean column (not NULL). */
function rowNumber(d: Data, i: number, bool: boolean): number {
  return bool ? ((d.values as Uint8Array)[i >> 3]! >> (i & 7)) & 1 : (d.values as Float64Array | Int32Array)[i]!;
}

/** A partition's selected slots and their ranks (null: by position). */
interface Selection {
  readonly slots: number[];
  readonly ranks: number[] | null;
}

/** Up to this many rows kept per partition, ROW_NUMBER over appends notes selections flat (see flatBefore). */
const SMALL_KEEP = 32;

/** The position of a slot in a list (-1: absent); a Map only when the list is long. */
function indexer(slots: readonly number[]): (slot: number) => number {
  if (slots.length <= 32) return (s) => slots.indexOf(s);
  const at = new Map<number, number>();
  slots.forEach((s, j) => at.set(s, j));
  return (s) => at.get(s) ?? -1;
}

export class TopNOperator implements Operator {
  private readonly store: RowStore;
  /** Partition key → id; null without PARTITION BY (one partition, id 0). */
  private readonly keys: KeyTable | null;
  /** Partition id → its held slots in order (ORDER BY keys, then arrival). */
  private lists: (number[] | undefined)[] = [];
  /** Slot → arrival number (ties on every ORDER BY key keep arrival order). */
  private seqOf = new Float64Array(64);
  private seq = 0;
  private readonly limit: number;
  /** Rows skipped before the first emitted one (OFFSET): they are kept, as ranks 1..offset. */
  private readonly offset: number;
  private readonly keep: number;
  private readonly rank: 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK';
  private readonly cmps: KeyCompare[];
  private readonly output: OutputBuilder;
  private readonly width: number;
  private readonly appendOnly: boolean;
  private gids = new Int32Array(1024);
  /** Scratch: the rows of a batch to copy in, and the slots they got. */
  private rows = new Int32Array(SCRATCH_ROWS);
  private slots = new Int32Array(SCRATCH_ROWS);
  /** Slots that left in this batch: freed after its output is built (their values are still emitted). */
  private dropped: number[] = [];
  /** Slot → 1 while it is in `dropped` (appends: a new row that left gets no strings). */
  private gone = new Uint8Array(64);
  /** String columns no ORDER BY key reads: an appended row's are copied once the batch settles. */
  private readonly later: boolean[];
  private readonly laterCols: number[];
  /**
   * ROW_NUMBER over appends (a small LIMIT): per partition a batch touches, its best `keep` rows
   * of the batch so far, in order (`bestAt[g]` into `best`, while `bestStamp[g]` is the batch).
   */
  private readonly boundBatch: boolean;
  private bestStamp = new Int32Array(64);
  private bestAt = new Int32Array(64);
  private bestLen = new Int32Array(64);
  private best = new Int32Array(1024);
  private batchNo = 0;
  /** Batch row → its ORDER BY key, ascending (see ascendingKeys). */
  private keyScratch = new Float64Array(SCRATCH_ROWS);
  /** Batch row → 1 while it is among its partition's best of the batch. */
  private inBest = new Uint8Array(SCRATCH_ROWS);
  /** The last watermark forwarded downstream. */
  private wm = -Infinity;
  /** The least event time of the held rows: a held row can come back (retracted, moved). */
  private readonly timeCols: number[];
  private timeOf = new Float64Array(64);
  private heap = new NumberHeap();
  /** The partitions changed since the last checkpoint (it writes only those). */
  private readonly changes = new StateChanges();
  /**
   * ROW_NUMBER over appends with a small LIMIT: the partitions a batch touches, in order, and
   * the slots each had selected before it, flat (`beforeStart[k]`.. into `beforeSlots`), so a
   * batch allocates no Selection per partition (`beforeStamp[g]`: the batch that noted g).
   */
  private readonly flatBefore: boolean;
  private touchedParts = new Int32Array(256);
  private beforeStart = new Int32Array(257);
  private beforeSlots = new Int32Array(256);
  private touchedCount = 0;
  private beforeStamp = new Int32Array(64);
  private beforeBatch = 0;
  /**
   * ROW_NUMBER with its rank selected: each emitted row's key (partition, rank) as an id,
   * partition id × keep + rank − 1, attached to the output (row-keys.ts) so the view's net
   * delta need not hash it. A space lasts until a partition id can name another key (a
   * partition removed, a restore).
   */
  private readonly rowIds: boolean;
  private space: KeySpace;
  private spaceEnds = false;
  private outIds = new Int32Array(256);
  private outCount = 0;
  /** The partition whose changes are being emitted. */
  private emitting = 0;

  constructor(
    private readonly out: Emitter,
    private readonly node: TopNNode,
  ) {
    this.limit = node.limit ?? Infinity;
    this.offset = node.offset;
    this.keep = this.limit + this.offset;
    this.rank = node.rank ?? 'ROW_NUMBER';
    this.output = new OutputBuilder(node.schema);
    this.width = node.input.schema.length;
    this.appendOnly = node.input.appendOnly;
    this.store = new RowStore(node.input.schema.map((c) => c.type));
    this.keys = node.partitionBy.length > 0 ? new KeyTable(node.partitionBy.map((p) => node.input.schema[p]!.type)) : null;
    this.cmps = node.orderBy.map((k) => keyCompare(this.store, k.column, k.desc, k.nullsFirst));
    this.timeCols = TimeFloor.columnsOf(node.schema, this.width);
    const keyCols = new Set(node.orderBy.map((k) => k.column));
    this.later = this.store.kinds.map((k, j) => k === 'utf8' && !keyCols.has(j));
    this.laterCols = this.later.flatMap((l, j) => (l ? [j] : []));
    this.boundBatch = this.appendOnly && this.rank === 'ROW_NUMBER' && this.keep >= 1 && this.keep <= 128;
    this.flatBefore = this.appendOnly && this.rank === 'ROW_NUMBER' && this.keep <= SMALL_KEEP;
    this.rowIds = this.rank === 'ROW_NUMBER' && node.rowNumber !== null && Number.isFinite(this.keep);
    this.space = this.newSpace();
  }

  /** A new space of (partition, rank) ids: without PARTITION BY, one partition. */
  private newSpace(): KeySpace {
    return keySpaceOf(this.keys ?? { capacity: 1 }, this.keep);
  }

  /** Order of two held slots: ORDER BY keys, then arrival. */
  private compareSlots(a: number, b: number): number {
    for (const c of this.cmps) {
      const r = c.slots(a, b);
      if (r !== 0) return r;
    }
    return this.seqOf[a]! - this.seqOf[b]!;
  }

  /** Order of two held slots on the ORDER BY keys alone. */
  private compareKeys(a: number, b: number): number {
    for (const c of this.cmps) {
      const r = c.slots(a, b);
      if (r !== 0) return r;
    }
    return 0;
  }

  private peers(a: number, b: number): boolean {
    for (const c of this.cmps) if (c.slots(a, b) !== 0) return false;
    return true;
  }

  /** Order of batch row i against a held slot on the ORDER BY keys alone. */
  private compareRow(cols: readonly Data[], i: number, slot: number): number {
    for (const c of this.cmps) {
      const r = c.row(cols, i, slot);
      if (r !== 0) return r;
    }
    return 0;
  }

  /** Order of batch rows i and k on the ORDER BY keys alone. */
  private compareRows(cols: readonly Data[], i: number, k: number): number {
    for (const c of this.cmps) {
      const r = c.rows(cols, i, k);
      if (r !== 0) return r;
    }
    return 0;
  }

  /**
   * One number ORDER BY key without NULLs in the batch: rows `rows[0..count)`'s values, negated
   * when descending, so that a smaller one sorts first (null: compare the general way).
   */
  private ascendingKeys(cols: readonly Data[], rows: Int32Array, count: number): Float64Array | null {
    if (this.node.orderBy.length !== 1) return null;
    const { column, desc } = this.node.orderBy[0]!;
    const kind = this.store.kinds[column];
    const d = cols[column]!;
    if ((kind !== 'f64' && kind !== 'i32') || d.typeId === 1 || d.nullCount > 0) return null;
    if (this.keyScratch.length < d.length) this.keyScratch = new Float64Array(Math.max(d.length, this.keyScratch.length * 2));
    const out = this.keyScratch;
    const src = d.values as Float64Array | Int32Array;
    for (let r = 0; r < count; r++) {
      const i = rows[r]!;
      out[i] = desc ? -src[i]! : src[i]!;
    }
    return out;
  }

  /**
   * Keeps of `rows[0..count)` (ascending) those that fewer than `keep` earlier or better rows
   * of their partition in the batch sort before, and returns how many: the others can only
   * end the batch past the last rank, so they are never copied in. (Bids of one auction
   * arrive together: in Nexmark q19 half of a batch's rows are pushed out within it.)
   */
  private bestOfBatch(cols: readonly Data[], gids: Int32Array, rows: Int32Array, count: number): number {
    const keep = this.keep;
    const stamp = ++this.batchNo;
    if (this.inBest.length < rows.length) this.inBest = new Uint8Array(rows.length);
    const inBest = this.inBest;
    const keys = this.ascendingKeys(cols, rows, count);
    let used = 0;
    for (let r = 0; r < count; r++) {
      const i = rows[r]!;
      const g = gids[i]!;
      if (g >= this.bestStamp.length) {
        this.bestStamp = grown(this.bestStamp, g + 1);
        this.bestAt = grown(this.bestAt, g + 1);
        this.bestLen = grown(this.bestLen, g + 1);
      }
      if (this.bestStamp[g] !== stamp) {
        this.bestStamp[g] = stamp;
        this.bestAt[g] = used;
        this.bestLen[g] = 0;
        used += keep;
        if (used > this.best.length) this.best = grown(this.best, used);
      }
      const best = this.best;
      const at = this.bestAt[g]!;
      const len = this.bestLen[g]!;
      // After every row it does not sort before (it arrived last).
      let lo = 0;
      let hi = len;
      if (keys !== null) {
        const v = keys[i]!;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          // Not after: as the key compare, NaN is a peer of every number.
          if (!(keys[best[at + mid]!]! > v)) lo = mid + 1;
          else hi = mid;
        }
      } else
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (this.compareRows(cols, best[at + mid]!, i) <= 0) lo = mid + 1;
          else hi = mid;
        }
      if (lo === keep) {
        inBest[i] = 0;
        continue;
      }
      if (len === keep) inBest[best[at + keep - 1]!] = 0;
      else this.bestLen[g] = len + 1;
      for (let k = Math.min(len, keep - 1); k > lo; k--) best[at + k] = best[at + k - 1]!;
      best[at + lo] = i;
      inBest[i] = 1;
    }
    let kept = 0;
    for (let r = 0; r < count; r++) if (inBest[rows[r]!] === 1) rows[kept++] = rows[r]!;
    return kept;
  }

  /**
   * How many leading rows of a partition are selected or skipped (ROW_NUMBER: OFFSET + LIMIT;
   * with ties: every row ranked at most LIMIT), writing each one's rank into `ranks` if given.
   */
  private selected(list: readonly number[], ranks?: number[]): number {
    if (this.rank === 'ROW_NUMBER') {
      const n = Math.min(list.length, this.keep);
      if (ranks) for (let k = 0; k < n; k++) ranks.push(k + 1);
      return n;
    }
    let r = 0;
    let k = 0;
    for (; k < list.length; k++) {
      if (k === 0 || !this.peers(list[k - 1]!, list[k]!)) r = this.rank === 'RANK' ? k + 1 : r + 1;
      if (r > this.limit) break;
      ranks?.push(r);
    }
    return k;
  }

  /** True when an append-only partition can take no row that sorts after its last one. */
  private full(list: readonly number[]): boolean {
    if (this.rank === 'ROW_NUMBER') return list.length >= this.keep;
    if (list.length < this.limit) return false;
    return this.rank === 'RANK' || this.denseOfLast(list) >= this.limit;
  }

  private denseOfLast(list: readonly number[]): number {
    let r = list.length > 0 ? 1 : 0;
    for (let k = 1; k < list.length; k++) if (!this.peers(list[k - 1]!, list[k]!)) r++;
    return r;
  }

  /** The selected slots of a partition and their ranks (null: positions, offset + 1…). */
  private selection(list: readonly number[]): Selection {
    if (this.rank === 'ROW_NUMBER') return { slots: list.slice(this.offset, Math.min(list.length, this.keep)), ranks: null };
    const ranks: number[] = [];
    return { slots: list.slice(0, this.selected(list, ranks)), ranks };
  }

  /** A row that left, or (rank selected) moved, is taken back where it was and put where it is. */
  private emitChanges(old: Selection, now: Selection): void {
    const rankCol = this.node.rowNumber !== null;
    const rankOf = (s: Selection, j: number) => (s.ranks === null ? this.offset + j + 1 : s.ranks[j]!);
    if (rankCol && old.ranks === null) {
      // Ranks are positions: a slot is unchanged exactly when it holds the same position.
      for (let j = 0; j < old.slots.length; j++) if (now.slots[j] !== old.slots[j]) this.emit(OP_DELETE, old.slots[j]!, rankOf(old, j));
      for (let j = 0; j < now.slots.length; j++) if (now.slots[j] !== old.slots[j]) this.emit(OP_INSERT, now.slots[j]!, rankOf(now, j));
      return;
    }
    const find = indexer(now.slots);
    const findOld = indexer(old.slots);
    for (let j = 0; j < old.slots.length; j++) {
      const m = find(old.slots[j]!);
      if (m < 0 || (rankCol && rankOf(now, m) !== rankOf(old, j))) this.emit(OP_DELETE, old.slots[j]!, rankOf(old, j));
    }
    for (let j = 0; j < now.slots.length; j++) {
      const m = findOld(now.slots[j]!);
      if (m < 0 || (rankCol && rankOf(old, m) !== rankOf(now, j))) this.emit(OP_INSERT, now.slots[j]!, rankOf(now, j));
    }
  }

  private emit(op: number, slot: number, rank: number): void {
    if (this.rowIds) {
      if (this.outCount === this.outIds.length) this.outIds = grown(this.outIds, this.outCount + 1);
      this.outIds[this.outCount++] = this.emitting * this.keep + rank - 1;
    }
    this.output.row(op);
    this.store.appendRow(slot, this.output.columns, 0);
    if (this.node.rowNumber !== null) this.output.columns[this.width]!.appendNumber(rank);
  }

  private partitionIds(cols: readonly Data[], n: number): Int32Array {
    if (this.gids.length < n) this.gids = new Int32Array(Math.max(n, this.gids.length * 2));
    if (this.keys === null) this.gids.fill(0, 0, n);
    else this.keys.findOrInsert(this.node.partitionBy.map((p) => cols[p]!), n, this.gids);
    return this.gids;
  }

  private hold(cols: readonly Data[], i: number): number {
    return this.held(this.store.add(cols, i));
  }

  /** Numbers a new slot in arrival order and notes its event time. */
  private held(slot: number, timed = true): number {
    if (slot >= this.seqOf.length) {
      this.seqOf = grown(this.seqOf, slot + 1);
      this.timeOf = grown(this.timeOf, slot + 1);
    }
    this.seqOf[slot] = this.seq++;
    if (timed) this.timed(slot);
    return slot;
  }

  /** Notes a held slot's event time: the watermark waits for it. */
  private timed(slot: number): void {
    if (this.timeCols.length === 0) return;
    let t = Infinity;
    for (const c of this.timeCols) if (!this.store.isNull(slot, c) && this.store.f64[c]![slot]! < t) t = this.store.f64[c]![slot]!;
    this.timeOf[slot] = t;
    if (t !== Infinity) this.heap.push(t, slot);
  }

  /** Where a new slot goes: after every row it does not sort before (it arrived last). */
  private insertAt(list: number[], slot: number): void {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compareSlots(list[mid]!, slot) < 0) lo = mid + 1;
      else hi = mid;
    }
    // A few places: moved by hand (a splice call costs more than a top 10's shift).
    if (list.length - lo > 16) list.splice(lo, 0, slot);
    else {
      list.push(slot);
      for (let k = list.length - 1; k > lo; k--) list[k] = list[k - 1]!;
      list[lo] = slot;
    }
  }

  /** Removes the latest held row equal to row i (the fewest ranks move), if any. */
  private retract(list: number[], cols: readonly Data[], i: number): void {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compareRow(cols, i, list[mid]!) > 0) lo = mid + 1;
      else hi = mid;
    }
    let found = -1;
    for (let k = lo; k < list.length && this.compareRow(cols, i, list[k]!) === 0; k++) if (this.store.equalsRow(list[k]!, cols, i)) found = k;
    if (found >= 0) this.dropped.push(list.splice(found, 1)[0]!);
  }

  /** Notes partition g's selected slots before this batch, once per batch (flatBefore). */
  private noteBefore(g: number, list: readonly number[]): void {
    if (g >= this.beforeStamp.length) this.beforeStamp = grown(this.beforeStamp, g + 1);
    if (this.beforeStamp[g] === this.beforeBatch) return;
    this.beforeStamp[g] = this.beforeBatch;
    const k = this.touchedCount++;
    if (k + 1 >= this.touchedParts.length) {
      this.touchedParts = grown(this.touchedParts, k + 2);
      this.beforeStart = grown(this.beforeStart, k + 2);
    }
    this.touchedParts[k] = g;
    const from = this.beforeStart[k]!;
    const end = Math.min(list.length, this.keep);
    const count = Math.max(0, end - this.offset);
    if (from + count > this.beforeSlots.length) this.beforeSlots = grown(this.beforeSlots, from + count);
    for (let j = 0; j < count; j++) this.beforeSlots[from + j] = list[this.offset + j]!;
    this.beforeStart[k + 1] = from + count;
  }

  /**
   * emitChanges for a partition noted flat: the old selection is beforeSlots[from, to), the
   * new one the list's ranks offset+1..keep; deletes in old order, then inserts in new order.
   */
  private emitFlat(from: number, to: number, list: readonly number[]): void {
    const old = this.beforeSlots;
    const nowEnd = Math.min(list.length, this.keep);
    const oldCount = to - from;
    const nowCount = Math.max(0, nowEnd - this.offset);
    if (this.node.rowNumber !== null) {
      // Ranks are positions: a slot is unchanged exactly when it holds the same position.
      for (let j = 0; j < oldCount; j++) if (j >= nowCount || list[this.offset + j] !== old[from + j]) this.emit(OP_DELETE, old[from + j]!, this.offset + j + 1);
      for (let j = 0; j < nowCount; j++) if (j >= oldCount || list[this.offset + j] !== old[from + j]) this.emit(OP_INSERT, list[this.offset + j]!, this.offset + j + 1);
      return;
    }
    for (let j = 0; j < oldCount; j++) {
      const s = old[from + j]!;
      let found = false;
      for (let m = 0; m < nowCount && !found; m++) found = list[this.offset + m] === s;
      if (!found) this.emit(OP_DELETE, s, this.offset + j + 1);
    }
    for (let j = 0; j < nowCount; j++) {
      const s = list[this.offset + j]!;
      let found = false;
      for (let m = from; m < to && !found; m++) found = old[m] === s;
      if (!found) this.emit(OP_INSERT, s, this.offset + j + 1);
    }
  }

  /**
   * An append-only batch: rows a full partition cannot take (judged against the partition
   * before the batch; it only gets harder to enter) are skipped in place, the rest are copied
   * in one pass a column at a time, then placed in order; a placed row pushed past the last
   * rank, or one that no longer makes it in, leaves at the end of the batch. Many candidates
   * enter and leave within one batch: only those still held at its end get their non-key
   * strings copied and their event time noted. Each touched partition's selection before the
   * batch goes into `before`, or, when it is null, is noted flat (flatBefore).
   */
  private processAppends(cols: readonly Data[], n: number, gids: Int32Array, lastCmp: number, before: Map<number, Selection> | null): void {
    if (this.rows.length < n) {
      this.rows = new Int32Array(Math.max(n, this.rows.length * 2));
      this.slots = new Int32Array(this.rows.length);
    }
    const rows = this.rows;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const list = this.lists[gids[i]!];
      if (list !== undefined && list.length > 0 && this.full(list) && this.compareRow(cols, i, list[list.length - 1]!) >= lastCmp) continue;
      rows[count++] = i;
    }
    if (this.boundBatch) count = this.bestOfBatch(cols, gids, rows, count);
    const defer = this.laterCols.length > 0 || this.timeCols.length > 0;
    this.store.addRows(cols, rows, count, this.slots, this.later);
    for (let r = 0; r < count; r++) {
      const slot = this.held(this.slots[r]!, false);
      const g = gids[rows[r]!]!;
      let list = this.lists[g];
      if (list !== undefined && list.length > 0 && this.full(list) && this.compareKeys(slot, list[list.length - 1]!) >= lastCmp) {
        this.dropped.push(slot);
        continue;
      }
      if (list === undefined) {
        if (g >= this.lists.length) this.lists.length = g + 1;
        this.lists[g] = list = [];
      }
      if (before === null) this.noteBefore(g, list);
      else if (!before.has(g)) before.set(g, this.selection(list));
      this.insertAt(list, slot);
      const k = this.selected(list);
      for (let j = k; j < list.length; j++) this.dropped.push(list[j]!);
      if (list.length > k) list.length = k;
    }
    if (defer) this.settle(cols, count);
  }

  /** The rest of each appended row still held: its deferred strings and its event time. */
  private settle(cols: readonly Data[], count: number): void {
    if (this.gone.length < this.seqOf.length) this.gone = new Uint8Array(this.seqOf.length);
    const gone = this.gone;
    for (const s of this.dropped) gone[s] = 1;
    const rows = this.rows;
    const slots = this.slots;
    let kept = 0;
    for (let r = 0; r < count; r++) {
      const slot = slots[r]!;
      if (gone[slot] === 1) continue;
      rows[kept] = rows[r]!;
      slots[kept++] = slot;
      this.timed(slot);
    }
    for (const s of this.dropped) gone[s] = 0;
    for (const j of this.laterCols) this.store.addStrings(j, cols[j]!, rows, slots, kept);
  }

  process(batch: ChangeBatch): void {
    const cols: readonly Data[] = columnsOf(batch);
    const n = batch.length;
    const gids = this.partitionIds(cols, n);
    const ops = batch.ops;
    if (this.flatBefore) {
      this.beforeBatch++;
      this.touchedCount = 0;
      this.processAppends(cols, n, gids, 0, null);
      for (let k = 0; k < this.touchedCount; k++) this.settlePartition(this.touchedParts[k]!, null, this.beforeStart[k]!, this.beforeStart[k + 1]!);
    } else {
      /** Partition id → its selected slots and their ranks before this batch. */
      const before = new Map<number, Selection>();
      // A full append-only partition takes no row that sorts after its last (a peer of the last
      // still ties into a rank); most rows of a top 10 are dropped there, uncopied.
      if (this.appendOnly) this.processAppends(cols, n, gids, this.rank === 'ROW_NUMBER' ? 0 : 1, before);
      // A changelog: every row is kept, a retraction removes its copy.
      else
        for (let i = 0; i < n; i++) {
          const g = gids[i]!;
          let list = this.lists[g];
          if (list === undefined) {
            if (g >= this.lists.length) this.lists.length = g + 1;
            this.lists[g] = list = [];
          }
          if (!before.has(g)) before.set(g, this.selection(list));
          if (ops !== null && isRetraction(ops[i]!)) this.retract(list, cols, i);
          else this.insertAt(list, this.hold(cols, i));
        }
      for (const [g, old] of before) this.settlePartition(g, old, 0, 0);
    }
    for (const s of this.dropped) this.store.remove(s);
    this.dropped.length = 0;
    const b = this.output.finish(this.wm, false);
    if (b && this.rowIds) attachRowKeys(b.data, { space: this.space, columns: [...this.node.partitionBy, this.width], ids: this.outIds.slice(0, this.outCount) });
    this.outCount = 0;
    // A removed partition's id may name another key from the next batch on.
    if (this.spaceEnds) {
      this.space = this.newSpace();
      this.spaceEnds = false;
    }
    if (b) this.out.push(b);
  }

  /** Emits a partition's changes in this batch (from `old`, or the flat notes [from, to)) and notes it changed. */
  private settlePartition(g: number, old: Selection | null, from: number, to: number): void {
    const list = this.lists[g]!;
    this.emitting = g;
    if (old === null) this.emitFlat(from, to, list);
    else this.emitChanges(old, this.selection(list));
    this.changes.touch(g);
    if (list.length === 0) {
      this.changes.remove(g, () => this.partitionName(g));
      this.lists[g] = undefined;
      this.keys?.remove(g);
      this.spaceEnds = true;
    }
  }

  /** The least event time of a held row (Infinity: none). */
  private floor(): number {
    const h = this.heap;
    while (h.size > 0 && !(this.store.has(h.peekValue()!) && this.timeOf[h.peekValue()!] === h.peekKey())) h.removeTop();
    if (h.size > 2 * this.store.size + 64) {
      this.heap.clear();
      for (const s of this.store.slots()) if (this.timeOf[s] !== Infinity) this.heap.push(this.timeOf[s]!, s);
    }
    return this.heap.peekKey() ?? Infinity;
  }

  onWatermark(wm: number): void {
    // A held row can come back (retracted, moved) at any time: the watermark waits for it.
    const held = this.timeCols.length > 0 && wm !== Infinity ? Math.min(wm, this.floor()) : wm;
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  /** A partition's storage key: its PARTITION BY values as JSON. */
  private partitionName(g: number): string {
    return valueJson(this.keys === null ? [] : this.keys.keyValues(g));
  }

  private livePartitions(): number[] {
    const ids: number[] = [];
    this.lists.forEach((l, g) => l !== undefined && ids.push(g));
    return ids;
  }

  checkpointDelta(): StateDelta {
    return this.changes.take(
      () => this.livePartitions(),
      (g) => [this.partitionName(g), this.lists[g]!.map((s) => [this.seqOf[s]!, ...this.store.values(s)])],
      [['#meta', { seq: this.seq }]],
    );
  }

  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    const rows: Value[][] = [];
    let seq = 0;
    for (const [k, v] of entries) {
      if (k === '#meta') seq = (v as { seq: number }).seq;
      else for (const r of v as Value[][]) rows.push(r);
    }
    this.restore({ rows, seq });
    this.changes.restored(this.livePartitions());
  }

  snapshot(): unknown {
    const rows: Value[][] = [];
    for (const list of this.lists) if (list) for (const s of list) rows.push([this.seqOf[s]!, ...this.store.values(s)]);
    return { rows, seq: this.seq };
  }

  restore(state: unknown): void {
    const s = state as { rows: Value[][]; seq: number };
    this.store.clear();
    this.keys?.clear();
    this.space = this.newSpace();
    this.lists = [];
    this.heap.clear();
    for (const r of s.rows) {
      const values = r.slice(1);
      const g = this.keys === null ? 0 : this.keys.findOrInsertValues(this.node.partitionBy.map((p) => values[p]!));
      const slot = this.store.addValues(values);
      if (slot >= this.seqOf.length) {
        this.seqOf = grown(this.seqOf, slot + 1);
        this.timeOf = grown(this.timeOf, slot + 1);
      }
      this.seqOf[slot] = r[0] as number;
      let t = Infinity;
      for (const c of this.timeCols) if (typeof values[c] === 'number' && (values[c] as number) < t) t = values[c] as number;
      this.timeOf[slot] = t;
      if (t !== Infinity && this.timeCols.length > 0) this.heap.push(t, slot);
      if (g >= this.lists.length) this.lists.length = g + 1;
      (this.lists[g] ??= []).push(slot);
    }
    for (const list of this.lists) list?.sort((a, b) => this.compareSlots(a, b));
    this.seq = s.seq;
  }

  stateSize(): number {
    return this.store.size;
  }

  close(): void {}
}
