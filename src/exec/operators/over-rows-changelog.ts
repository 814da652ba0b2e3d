/**
 * OVER aggregates (COUNT, SUM, AVG, MIN, MAX of numbers) in a ROWS frame whose rows can
 * change (a changelog input, or an order other than event time), with the rows held in
 * columns: the same changes, in the same order, as {@link OverChangelogOperator}, which
 * keeps the other shapes (RANGE frames, ranks, navigation functions, non-numeric results).
 *
 * That operator keeps a JS object per row with an array of its values and one of its last
 * results; an OVER over a changelog holds every row it has seen, so they pile up in the old
 * generation and each minor GC promotes more (Nexmark q6: about a third of its run in GC).
 * Here a row is a slot of a {@link RowStore}; its arrival number, last results and held time
 * are typed arrays indexed by slot; a partition is a KeyTable id and an array of slots in
 * order (small integers, nothing for the GC to follow).
 */
import { SluiceError } from '../../errors.js';
import type { OverNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { columnsOf, isRetraction, OP_DELETE, OP_INSERT, OP_UPDATE_AFTER, OP_UPDATE_BEFORE, type ChangeBatch } from '../batch.js';
import type { Emitter, Operator } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { TimeFloor } from '../time-floor.js';
import { argScale, SlidingAggregate, type ArgReader } from '../agg/sliding-aggregate.js';
import { grown } from '../agg/accumulator.js';
import { KeyTable } from '../vector/key-table.js';
import { physicalKindOf } from '../vector/columns.js';
import { RowStore } from '../vector/row-store.js';
import { NumberHeap } from '../window/number-heap.js';
import { forMergedRanges, rowsAhead } from './over-frame.js';
import { compareValues, lowerBound } from './ordered-rows.js';
import { sameValue } from '../../sql-order.js';

const numeric = (k: string) => k === 'f64' || k === 'i32';

/** A slot's inRows state; SOUGHT and FOUND only during recompute's scan. */
const NOT_IN_ROWS = 0;
const IN_ROWS = 1;
const SOUGHT = 2;
const FOUND = 3;

/** Whether this operator runs `node` (else OverChangelogOperator does). */
export function overRowsChangelogFits(node: OverNode): boolean {
  if (node.frame.unit !== 'ROWS') return false;
  return node.calls.every(
    (c) =>
      (c.fn === 'COUNT' || c.fn === 'SUM' || c.fn === 'AVG' || c.fn === 'MIN' || c.fn === 'MAX') &&
      numeric(physicalKindOf(c.type)) &&
      (c.arg === null || numeric(physicalKindOf(node.input.schema[c.arg]!.type))),
  );
}

/** An OVER call's argument as a column of a held slot. */
class SlotArg implements ArgReader<number> {
  constructor(
    private readonly store: RowStore,
    private readonly column: number,
  ) {}

  read(slot: number): Value {
    return this.store.value(slot, this.column);
  }
}

export class OverRowsChangelogOperator implements Operator {
  private readonly store: RowStore;
  /** The partitions' ids (null: no PARTITION BY, every row in partition 0). */
  private readonly keys: KeyTable | null;
  /** Partition id → its rows' slots in order (ORDER BY keys, then arrival). */
  private parts: (number[] | undefined)[] = [];
  /** Partition id → the slots that came or went in the batch being processed. */
  private marks: (number[] | undefined)[] = [];
  /** Partitions touched by the batch being processed, in first-touch order. */
  private touched: number[] = [];
  /** Slots of retracted rows, freed once the batch's ranges are recomputed (their values place them). */
  private freed: number[] = [];
  private pids = new Int32Array(256);
  /** Per slot: whether its row is in its partition's list (and where a scan stands, see recompute). */
  private inRows = new Uint8Array(64);
  /** Per slot: its position, as recompute's scan found it. */
  private posOf = new Int32Array(64);
  /** Per slot: arrival number (ties on the ORDER BY keys keep arrival order). */
  private seqOf = new Float64Array(64);
  /** Per slot: 1 once the row was emitted (its results below are what it was emitted with). */
  private emitted = new Uint8Array(64);
  /** Per call, per slot: the result last emitted, and 1 when it was NULL. */
  private outVal: Float64Array[];
  private outNull: Uint8Array[];
  /** Per slot: the event time the row holds the watermark at (NaN: not held); see TimeFloor. */
  private heldAt = new Float64Array(64).fill(NaN);
  private heldHeap = new NumberHeap();
  private heldLive = 0;
  private readonly timeColumns: readonly number[];
  private readonly output: OutputBuilder;
  private readonly width: number;
  private seq = 0;
  private wm = -Infinity;
  private readonly aggs: SlidingAggregate<number>[];
  private readonly now: Value[];
  private readonly ahead: number;
  /** The one number ORDER BY key read straight from the store's column (null: compare values). */
  private readonly numberKey: OverNode['orderBy'][number] | null;

  constructor(
    private readonly out: Emitter,
    private readonly node: OverNode,
  ) {
    if (!overRowsChangelogFits(node)) throw new SluiceError('INTERNAL', 'OverRowsChangelogOperator given an OVER it does not run');
    const schema = node.input.schema;
    this.width = schema.length;
    this.store = new RowStore(schema.map((c) => c.type));
    this.keys = node.partitionBy.length > 0 ? new KeyTable(node.partitionBy.map((j) => schema[j]!.type)) : null;
    this.outVal = node.calls.map(() => new Float64Array(64));
    this.outNull = node.calls.map(() => new Uint8Array(64));
    this.timeColumns = TimeFloor.columnsOf(schema);
    this.output = new OutputBuilder(node.schema);
    this.ahead = rowsAhead(node);
    const store = this.store;
    this.aggs = node.calls.map((c) => new SlidingAggregate<number>(c, c.arg === null ? null : new SlotArg(store, c.arg), argScale(node, c)));
    this.now = node.calls.map(() => null);
    const keys = node.orderBy;
    const only = keys.length === 1 ? keys[0]! : null;
    // One number key (q6: ORDER BY date_time): read it straight from the store's column.
    this.numberKey = only !== null && physicalKindOf(schema[only.column]!.type) === 'f64' ? only : null;
  }

  /** compare as a function (made at one place: calls through it share V8's feedback across operators). */
  private readonly order = (a: number, b: number): number => this.compare(a, b);

  /** Order of two held slots: ORDER BY keys, then arrival. A method, not a closure, so code V8 compiled for one operator serves the next. */
  private compare(a: number, b: number): number {
    const only = this.numberKey;
    const store = this.store;
    if (only !== null) {
      const c = only.column;
      const f = store.f64[c]!;
      const r = compareValues(store.isNull(a, c) ? null : f[a]!, store.isNull(b, c) ? null : f[b]!, only);
      if (r !== 0) return r;
    } else {
      for (const k of this.node.orderBy) {
        const c = compareValues(store.value(a, k.column), store.value(b, k.column), k);
        if (c !== 0) return c;
      }
    }
    return this.seqOf[a]! - this.seqOf[b]!;
  }

  /**
   * The first position of `rows` whose row sorts at or after slot s. Rows mostly come in
   * order (by event time), so the end is tried before a binary search.
   */
  private locate(rows: readonly number[], s: number): number {
    const n = rows.length;
    if (n === 0 || this.compare(rows[n - 1]!, s) < 0) return n;
    if (n === 1 || this.compare(rows[n - 2]!, s) < 0) return n - 1;
    return lowerBound(rows, s, this.order);
  }

  /** Makes the per-slot arrays hold `slot`. */
  private fit(slot: number): void {
    if (slot < this.seqOf.length) return;
    const n = Math.max(slot + 1, 2 * this.seqOf.length);
    this.seqOf = grown(this.seqOf, n);
    this.inRows = grown(this.inRows, n);
    this.posOf = grown(this.posOf, n);
    this.emitted = grown(this.emitted, n);
    const held = new Float64Array(n).fill(NaN);
    held.set(this.heldAt);
    this.heldAt = held;
    this.outVal = this.outVal.map((a) => grown(a, n));
    this.outNull = this.outNull.map((a) => grown(a, n));
  }

  /** A new slot holding row i of `cols`. */
  private addRow(cols: ReturnType<typeof columnsOf>, i: number, seq: number): number {
    const s = this.store.add(cols, i);
    this.fit(s);
    this.seqOf[s] = seq;
    this.emitted[s] = 0;
    this.heldAt[s] = NaN;
    this.inRows[s] = NOT_IN_ROWS;
    return s;
  }

  private peers(a: number, b: number): boolean {
    for (const k of this.node.orderBy) if (compareValues(this.store.value(a, k.column), this.store.value(b, k.column), k) !== 0) return false;
    return true;
  }

  /** The rows in slots a and b hold the same values (NaN equal to NaN, as a row's copy must be found by its own values). */
  private sameRow(a: number, b: number): boolean {
    for (let j = 0; j < this.width; j++) {
      if (!sameValue(this.store.value(a, j), this.store.value(b, j))) return false;
    }
    return true;
  }

  private partitionIds(cols: ReturnType<typeof columnsOf>, n: number): Int32Array {
    if (this.pids.length < n) this.pids = new Int32Array(Math.max(n, 2 * this.pids.length));
    const pids = this.pids;
    if (this.keys === null) pids.fill(0, 0, n);
    else this.keys.findOrInsert(this.node.partitionBy.map((j) => cols[j]!), n, pids);
    return pids;
  }

  private emitRow(op: number, slot: number, results: readonly Value[] | null): void {
    this.output.row(op);
    const builders = this.output.columns;
    this.store.appendRow(slot, builders, 0);
    for (let j = 0; j < this.aggs.length; j++) {
      builders[this.width + j]!.append(results !== null ? results[j]! : this.outNull[j]![slot] === 1 ? null : this.outVal[j]![slot]!);
    }
  }

  process(batch: ChangeBatch): void {
    const n = batch.length;
    const cols = columnsOf(batch);
    const pids = this.partitionIds(cols, n);
    const ops = batch.ops;
    const touched = this.touched;
    for (let i = 0; i < n; i++) {
      const pid = pids[i]!;
      let rows = this.parts[pid];
      if (rows === undefined) this.parts[pid] = rows = [];
      let marks = this.marks[pid];
      if (marks === undefined) {
        this.marks[pid] = marks = [];
        touched.push(pid);
      }
      if (ops !== null && isRetraction(ops[i]!)) {
        // Any one row equal to the retracted one goes (rows are a multiset); the retracted
        // row is placed by a slot of its own, given back at once.
        const probe = this.addRow(cols, i, -1);
        let at = this.locate(rows, probe);
        while (at < rows.length && !this.sameRow(rows[at]!, probe)) {
          if (!this.peers(rows[at]!, probe)) {
            at = rows.length;
            break;
          }
          at++;
        }
        this.store.remove(probe);
        if (at === rows.length) continue;
        const gone = rows[at]!;
        rows.splice(at, 1);
        this.inRows[gone] = NOT_IN_ROWS;
        this.release(gone);
        if (this.emitted[gone] === 1) this.emitRow(OP_DELETE, gone, null);
        marks.push(gone);
        this.freed.push(gone);
      } else {
        const s = this.addRow(cols, i, this.seq++);
        const at = this.locate(rows, s);
        if (at === rows.length) rows.push(s);
        else rows.splice(at, 0, s);
        this.inRows[s] = IN_ROWS;
        this.hold(s);
        marks.push(s);
      }
    }
    for (const pid of touched) {
      const rows = this.parts[pid]!;
      const marks = this.marks[pid]!;
      this.marks[pid] = undefined;
      if (rows.length === 0) {
        this.parts[pid] = undefined;
        this.keys?.remove(pid);
        continue;
      }
      this.recompute(rows, marks);
    }
    touched.length = 0;
    for (const s of this.freed) this.store.remove(s);
    this.freed.length = 0;
    const b = this.output.finish(this.wm, false);
    if (b) this.out.push(b);
  }

  /** Recomputes the rows whose frame reaches a changed position, and emits their changes. */
  private recompute(rows: number[], marks: readonly number[]): void {
    const f = this.node.frame;
    const bounded = f.preceding !== null;
    const inRows = this.inRows;
    // Where the changed rows still held stand: new rows land mostly at the end, so one
    // backward scan finds them (a binary search each for the ones it does not reach).
    let pending = 0;
    for (const m of marks) if (inRows[m] === IN_ROWS) (inRows[m] = SOUGHT), pending++;
    const budget = 4 * marks.length + 64;
    for (let p = rows.length - 1, steps = 0; p >= 0 && pending > 0 && steps < budget; p--, steps++) {
      const s = rows[p]!;
      if (inRows[s] === SOUGHT) {
        inRows[s] = FOUND;
        this.posOf[s] = p;
        pending--;
      }
    }
    const ranges = marks.map((m) => {
      const at = inRows[m] === FOUND ? this.posOf[m]! : this.locate(rows, m);
      // Earlier rows whose frame reaches forward to the change.
      const from = f.following === null ? 0 : Math.max(0, at - this.ahead);
      const to = bounded ? at + Math.max(f.preceding!, 0) : rows.length - 1;
      return [from, Math.min(to, rows.length - 1)] as const;
    });
    for (const m of marks) if (inRows[m] !== NOT_IN_ROWS) inRows[m] = IN_ROWS;
    forMergedRanges(ranges, (from, to) => this.computeRange(rows, from, to));
  }

  /** Computes rows [from, to] with one forward-sliding frame and emits the rows that changed. */
  private computeRange(rows: readonly number[], from: number, to: number): void {
    const f = this.node.frame;
    const aggs = this.aggs;
    for (const a of aggs) a.reset();
    const now = this.now;
    const len = rows.length;
    let lo = 0;
    let hi = 0;
    for (let r = from; r <= to; r++) {
      const start = f.preceding === null ? 0 : Math.min(len, Math.max(0, r - f.preceding));
      const end = f.following === null ? len : Math.min(len, Math.max(0, r + f.following + 1));
      if (r === from) lo = hi = start;
      // Grow the end first (an empty frame ends where it starts), then cut the start.
      const top = Math.max(start, end);
      for (; hi < top; hi++) for (const a of aggs) a.add(rows, hi);
      for (; lo < start; lo++) for (const a of aggs) a.remove(rows, lo);
      const s = rows[r]!;
      for (let j = 0; j < aggs.length; j++) now[j] = aggs[j]!.value(rows);
      if (this.emitted[s] === 0) this.emitRow(OP_INSERT, s, now);
      else {
        let same = true;
        for (let j = 0; j < now.length && same; j++) same = Object.is(now[j], this.outNull[j]![s] === 1 ? null : this.outVal[j]![s]);
        if (same) continue;
        this.emitRow(OP_UPDATE_BEFORE, s, null);
        this.emitRow(OP_UPDATE_AFTER, s, now);
      }
      this.keep(s, now);
    }
  }

  /** Notes `results` as what slot s was last emitted with. */
  private keep(s: number, results: readonly Value[]): void {
    this.emitted[s] = 1;
    for (let j = 0; j < results.length; j++) {
      const v = results[j]!;
      this.outNull[j]![s] = v === null ? 1 : 0;
      this.outVal[j]![s] = v === null ? 0 : (v as number);
    }
  }

  /** Holds the watermark at slot s's least event time (a held row can still change). */
  private hold(s: number): void {
    let t = Infinity;
    for (const c of this.timeColumns) {
      const v = this.store.value(s, c);
      if (typeof v === 'number' && v < t) t = v;
    }
    if (t === Infinity) return;
    if (this.heldAt[s] === this.heldAt[s]) this.heldLive--;
    this.heldAt[s] = t;
    this.heldLive++;
    this.heldHeap.push(t, s);
  }

  private release(s: number): void {
    if (this.heldAt[s] !== this.heldAt[s]) return;
    this.heldAt[s] = NaN;
    this.heldLive--;
  }

  /**
   * The least event time held. A heap entry is stale once its slot's time differs; an entry
   * of a reused slot that happens to carry the same time stands for the new row, correctly.
   */
  private heldMin(): number {
    const heap = this.heldHeap;
    while (heap.size > 0 && this.heldAt[heap.peekValue()!] !== heap.peekKey()) heap.removeTop();
    if (heap.size > 2 * this.heldLive + 64) {
      const fresh = new NumberHeap();
      while (heap.size > 0) {
        const t = heap.peekKey()!;
        const s = heap.peekValue()!;
        heap.removeTop();
        if (this.heldAt[s] === t) fresh.push(t, s);
      }
      this.heldHeap = fresh;
    }
    return this.heldHeap.peekKey() ?? Infinity;
  }

  onWatermark(wm: number): void {
    // A held row can come back (recomputed, retracted) at any time: the watermark waits for it.
    const held = this.timeColumns.length > 0 && wm !== Infinity ? Math.min(wm, this.heldMin()) : wm;
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  /** The same plain data as OverChangelogOperator's: either restores the other's checkpoint. */
  snapshot(): unknown {
    const rows: [number, Value[], Value[] | null][] = [];
    for (const list of this.parts) {
      if (list === undefined) continue;
      for (const s of list) {
        const out = this.emitted[s] === 1 ? this.aggs.map((_, j) => (this.outNull[j]![s] === 1 ? null : this.outVal[j]![s]!)) : null;
        rows.push([this.seqOf[s]!, this.store.values(s), out]);
      }
    }
    return { rows, seq: this.seq, wm: Number.isFinite(this.wm) ? this.wm : null };
  }

  restore(state: unknown): void {
    const s = state as { rows: [number, Value[], Value[] | null][]; seq: number; wm: number | null };
    this.store.clear();
    this.keys?.clear();
    this.parts = [];
    this.marks = [];
    this.heldHeap = new NumberHeap();
    this.heldLive = 0;
    this.heldAt.fill(NaN);
    for (const [seq, values, out] of s.rows) {
      const slot = this.store.addValues(values);
      this.fit(slot);
      this.seqOf[slot] = seq;
      this.emitted[slot] = 0;
      this.heldAt[slot] = NaN;
      if (out !== null) this.keep(slot, out);
      const pid = this.keys === null ? 0 : this.keys.findOrInsertValues(this.node.partitionBy.map((j) => values[j]!));
      (this.parts[pid] ??= []).push(slot);
      this.inRows[slot] = IN_ROWS;
      this.hold(slot);
    }
    for (const list of this.parts) list?.sort(this.order);
    this.seq = s.seq;
    this.wm = s.wm ?? -Infinity;
  }

  stateSize(): number {
    return this.store.size;
  }

  close(): void {}
}
