/**
 * Deduplication (src/plan/deduplicate.ts): one row per key of an append-only input, ordered
 * by event time.
 *
 * keep=first: a key's earliest row so far waits until the watermark reaches its time (no
 * earlier row can come then), and is emitted once (+I); afterwards only the key and that time
 * are kept. A row that arrives after its key was emitted, with an earlier time, was late: it
 * is dropped and recorded in sluice_late_events (SPEC 2.5). Ties keep the row that came first.
 *
 * keep=last: a key's latest row is emitted at once and replaced (-U/+U) when a row with a
 * later or equal time comes (a tie goes to the row that came last, as in Flink). The held
 * rows can still be retracted, so the output watermark waits for the earliest of them, as a
 * Top-N's does.
 */
import { parseValueJson, valueJson } from '../../value-json.js';
import type { Data } from 'apache-arrow';
import type { TopNNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { grown } from '../agg/accumulator.js';
import { columnsOf, OP_INSERT, OP_UPDATE_AFTER, OP_UPDATE_BEFORE, rowWatermark, type ChangeBatch } from '../batch.js';
import type { Emitter, LateRecord, Operator, OperatorContext, StateDelta } from '../operator.js';
import { StateChanges } from '../agg/state-changes.js';
import { OutputBuilder } from '../output-builder.js';
import { KeyTable } from '../vector/key-table.js';
import { RowStore } from '../vector/row-store.js';
import { lateRecord } from '../window/late-record.js';
import { NumberHeap } from '../window/number-heap.js';
import { attachRowKeys, keySpaceOf, type KeySpace } from '../row-keys.js';

const NONE = 0;
/** first: the earliest row so far, not emitted yet; last: the row emitted. */
const HELD = 1;
/** first: the row was emitted; only the key and its time are kept. */
const EMITTED = 2;

/** One key's state as plain data: its key, NONE/HELD/EMITTED, the time, the held row. */
interface SavedKey {
  readonly k: Value[];
  readonly s: number;
  readonly t: number | null;
  readonly v: Value[] | null;
}

export class DeduplicateOperator implements Operator {
  private readonly keys: KeyTable;
  private readonly store: RowStore;
  private state = new Uint8Array(64);
  private slotOf = new Int32Array(64);
  /** Key id → the time of its held (or emitted) row. */
  private timeOf = new Float64Array(64);
  /** (time, key id) of held rows: the next to emit (first) or the watermark floor (last). */
  private heap = new NumberHeap();
  private held = 0;
  private gids = new Int32Array(1024);
  /** Per key: the batch row that wins it in the batch being processed (-1: none) and its time. */
  private win = new Int32Array(64).fill(-1);
  private winT = new Float64Array(64);
  private touched = new Int32Array(1024);
  private rows = new Int32Array(1024);
  private slots = new Int32Array(1024);
  private readonly output: OutputBuilder;
  private readonly time: number;
  private readonly width: number;
  /** The input watermark, and the one forwarded downstream. */
  private inWm = -Infinity;
  private wm = -Infinity;
  /** The keys changed since the last checkpoint (it writes only those). */
  private readonly changes = new StateChanges();
  /** The key id of each output row so far (attached to the batch: a view nets its changes by them). */
  private outIds = new Int32Array(1024);
  private outCount = 0;
  /** Ids are never released, so one space lasts until a restore rebuilds the keys. */
  private space: KeySpace;

  constructor(
    private readonly out: Emitter,
    private readonly node: TopNNode,
    private readonly keepFirst: boolean,
    private readonly ctx?: OperatorContext,
  ) {
    const schema = node.input.schema;
    this.keys = new KeyTable(node.partitionBy.map((p) => schema[p]!.type));
    this.store = new RowStore(schema.map((c) => c.type));
    this.output = new OutputBuilder(node.schema);
    this.time = node.orderBy[0]!.column;
    this.width = schema.length;
    this.space = keySpaceOf(this.keys);
  }

  private grow(): void {
    const cap = this.keys.capacity;
    if (cap <= this.state.length) return;
    this.state = grown(this.state, cap);
    this.slotOf = grown(this.slotOf, cap);
    this.timeOf = grown(this.timeOf, cap);
    const was = this.win.length;
    this.win = grown(this.win, cap);
    this.win.fill(-1, was);
    this.winT = grown(this.winT, cap);
  }

  private emit(op: number, slot: number, g: number): void {
    if (this.outCount === this.outIds.length) this.outIds = grown(this.outIds, this.outCount + 1);
    this.outIds[this.outCount++] = g;
    this.output.row(op);
    this.store.appendRow(slot, this.output.columns, 0);
    if (this.node.rowNumber !== null) this.output.columns[this.width]!.appendNumber(1);
  }

  /** Makes `slot` (time t) the held row of key g, freeing the one it replaces. */
  private holdSlot(g: number, slot: number, t: number): void {
    if (this.state[g] === HELD) this.store.remove(this.slotOf[g]!);
    else this.held++;
    this.state[g] = HELD;
    this.changes.touch(g);
    this.slotOf[g] = slot;
    this.timeOf[g] = t;
    if (t !== Infinity && t !== -Infinity) this.heap.push(t, g);
  }

  process(batch: ChangeBatch): void {
    const n = batch.length;
    const cols = columnsOf(batch);
    if (this.gids.length < n) this.gids = new Int32Array(Math.max(n, this.gids.length * 2));
    this.keys.findOrInsert(this.node.partitionBy.map((p) => cols[p]!), n, this.gids);
    this.grow();
    const gids = this.gids;
    const tc = cols[this.time]!;
    const ts = tc.values as Float64Array;
    const tNull = tc.nullCount > 0 ? tc.nullBitmap! : null;
    let late: LateRecord[] | null = null;
    // First the row of each key that wins this batch (against its held row), then those rows
    // are copied in one pass: a key's rows within a batch replace each other only here.
    const win = this.win;
    const winT = this.winT;
    if (this.touched.length < n) this.touched = new Int32Array(Math.max(n, this.touched.length * 2));
    const touched = this.touched;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      const isNull = tNull !== null && ((tNull[i >> 3]! >> (i & 7)) & 1) === 0;
      const s = this.state[g]!;
      const w = win[g]!;
      if (this.keepFirst) {
        // NULLS LAST: a row without a time is first only when its key has no other.
        const t = isNull ? Infinity : ts[i]!;
        if (s === EMITTED) {
          if (t < this.timeOf[g]!) (late ??= []).push(lateRecord(batch, i, this.node.input.schema, this.time, rowWatermark(batch, i)));
          continue;
        }
        if (w >= 0 ? t < winT[g]! : s === NONE || t < this.timeOf[g]!) {
          if (w < 0) touched[count++] = g;
          win[g] = i;
          winT[g] = t;
        }
      } else {
        const t = isNull ? -Infinity : ts[i]!;
        if (w >= 0 ? t >= winT[g]! : s === NONE || t >= this.timeOf[g]!) {
          if (w < 0) touched[count++] = g;
          win[g] = i;
          winT[g] = t;
        }
      }
    }
    if (late !== null) this.ctx?.recordLate(late);
    if (this.rows.length < count) {
      this.rows = new Int32Array(Math.max(count, this.rows.length * 2));
      this.slots = new Int32Array(this.rows.length);
    }
    for (let k = 0; k < count; k++) this.rows[k] = win[touched[k]!]!;
    this.store.addRows(cols, this.rows, count, this.slots);
    for (let k = 0; k < count; k++) {
      const g = touched[k]!;
      const slot = this.slots[k]!;
      if (!this.keepFirst) {
        if (this.state[g] === HELD) this.emit(OP_UPDATE_BEFORE, this.slotOf[g]!, g);
        this.emit(this.state[g] === HELD ? OP_UPDATE_AFTER : OP_INSERT, slot, g);
      }
      this.holdSlot(g, slot, winT[g]!);
      win[g] = -1;
    }
    // Rows below the watermark already (late for their window, first for their key) go now.
    if (this.keepFirst) this.release(this.inWm);
    this.flushOutput();
  }

  private flushOutput(): void {
    const b = this.output.finish(this.wm, this.keepFirst);
    if (b) attachRowKeys(b.data, { space: this.space, columns: this.node.partitionBy, ids: this.outIds.slice(0, this.outCount) });
    this.outCount = 0;
    if (b) this.out.push(b);
  }

  /** keep=first: emits every held row whose time the watermark has reached. */
  private release(wm: number): void {
    const h = this.heap;
    while (h.size > 0 && (h.peekKey()! <= wm || wm === Infinity)) {
      const t = h.peekKey()!;
      const g = h.peekValue()!;
      h.removeTop();
      if (this.state[g] !== HELD || this.timeOf[g] !== t) continue;
      this.emitFirst(g);
    }
    // Rows without a time (kept only while their key has no other) go at the end of input.
    if (wm === Infinity && this.held > 0) for (let g = 0; g < this.keys.capacity; g++) if (this.state[g] === HELD) this.emitFirst(g);
  }

  private emitFirst(g: number): void {
    this.emit(OP_INSERT, this.slotOf[g]!, g);
    this.store.remove(this.slotOf[g]!);
    this.state[g] = EMITTED;
    this.changes.touch(g);
    this.held--;
  }

  /** keep=last: the earliest time of a held row, which may still be retracted. */
  private floor(): number {
    const h = this.heap;
    while (h.size > 0 && !(this.state[h.peekValue()!] === HELD && this.timeOf[h.peekValue()!] === h.peekKey())) h.removeTop();
    if (h.size > 2 * this.held + 64) {
      this.heap.clear();
      for (let g = 0; g < this.keys.capacity; g++) if (this.state[g] === HELD && Number.isFinite(this.timeOf[g]!)) this.heap.push(this.timeOf[g]!, g);
    }
    return this.heap.peekKey() ?? Infinity;
  }

  onWatermark(wm: number): void {
    this.inWm = wm;
    let next = wm;
    if (this.keepFirst) {
      this.release(wm);
      this.flushOutput();
    } else if (wm !== Infinity) next = Math.min(wm, this.floor());
    if (next > this.wm) {
      this.wm = next;
      this.out.watermark(next);
    }
  }

  private saved(g: number): SavedKey {
    const t = this.timeOf[g]!;
    return { k: this.keys.keyValues(g), s: this.state[g]!, t: Number.isFinite(t) ? t : null, v: this.state[g] === HELD ? this.store.values(this.slotOf[g]!) : null };
  }

  private liveKeys(): number[] {
    const ids: number[] = [];
    for (let g = 0; g < this.keys.capacity; g++) if (this.keys.has(g) && this.state[g] !== NONE) ids.push(g);
    return ids;
  }

  snapshot(): unknown {
    return { keys: this.liveKeys().map((g) => this.saved(g)), inWm: Number.isFinite(this.inWm) ? this.inWm : null };
  }

  checkpointDelta(): StateDelta {
    return this.changes.take(
      () => this.liveKeys(),
      (g) => {
        const { k, ...rest } = this.saved(g);
        return [valueJson(k), rest];
      },
      [['#meta', { inWm: Number.isFinite(this.inWm) ? this.inWm : null }]],
    );
  }

  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    const keys: SavedKey[] = [];
    let inWm: number | null = null;
    for (const [k, v] of entries) {
      if (k === '#meta') inWm = (v as { inWm: number | null }).inWm;
      else keys.push({ k: parseValueJson(k) as Value[], ...(v as Omit<SavedKey, 'k'>) });
    }
    this.restore({ keys, inWm });
    this.changes.restored(this.liveKeys());
  }

  restore(state: unknown): void {
    const s = state as { keys: SavedKey[]; inWm: number | null };
    this.keys.clear();
    this.space = keySpaceOf(this.keys);
    this.store.clear();
    this.heap.clear();
    this.state.fill(0);
    this.held = 0;
    for (const e of s.keys) {
      const g = this.keys.findOrInsertValues(e.k);
      this.grow();
      this.state[g] = e.s;
      this.timeOf[g] = e.t ?? (this.keepFirst ? Infinity : -Infinity);
      if (e.s === HELD) {
        this.slotOf[g] = this.store.addValues(e.v!);
        this.held++;
        if (e.t !== null) this.heap.push(e.t, g);
      }
    }
    this.inWm = s.inWm ?? -Infinity;
  }

  stateSize(): number {
    return this.keys.size;
  }

  close(): void {}
}
