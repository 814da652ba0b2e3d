/**
 * Aggregation over TUMBLE, HOP and CUMULATE windows. Groups are keyed by (window end, group
 * keys…). A row counts in every window it belongs to that is still open (the watermark it
 * arrived under is below the window's end); for the others it is late, dropped and recorded.
 * When the watermark reaches a window's end the window closes: under EMIT ON WINDOW CLOSE its
 * groups are emitted once (+I); in both modes its state is freed.
 */
import { parseValueJson, valueJson } from '../../value-json.js';
import type { Data } from 'apache-arrow';
import type { WindowAggregateNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { arrowSchema, columnsOf, makeRecordBatch, OP_INSERT, rowWatermark, type ChangeBatch, type ColumnBuilder } from '../batch.js';
import { selectRows, signsOf } from '../batch-ops.js';
import { GroupChanges } from '../agg/group-changes.js';
import { GroupTable, type SavedGroup } from '../agg/group-table.js';
import type { Emitter, LateRecord, Operator, OperatorContext, StateDelta } from '../operator.js';
import { StateChanges } from '../agg/state-changes.js';
import { OutputBuilder } from '../output-builder.js';
import { float64Column } from '../vector/columns.js';
import { assignWindows, cumulateStart, firstOpenStart, floorMod, maxWindowsPerRow } from '../window/window-math.js';
import { lateRecord } from '../window/late-record.js';
import { IdList, IdListPool } from '../vector/id-list.js';

interface OpenWindow {
  readonly start: number;
  /**
   * Its groups in creation order. A group that vanished (all rows retracted) stays listed
   * and is skipped: only ids whose groupEnd is this window's end are live, and with
   * `forgot` set an id may be listed twice (freed, then reused here).
   */
  readonly groups: IdList;
  forgot: boolean;
}

/** Each row's windows (row-major, stride `per`) and their count (0: a NULL time); a function that ends at its loop (see tumbleRows). */
function windowsOfRows(
  kind: 'HOP' | 'CUMULATE' | 'TUMBLE',
  ts: Float64Array,
  tsValid: Uint8Array | null,
  n: number,
  size: number,
  slide: number,
  offset: number,
  starts: Float64Array,
  ends: Float64Array,
  per: number,
  counts: Int32Array,
): void {
  for (let i = 0; i < n; i++) {
    if (tsValid && ((tsValid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
    counts[i] = assignWindows(kind, ts[i]!, size, slide, offset, starts, ends, i * per);
  }
}

export class WindowAggregateOperator implements Operator {
  private readonly table: GroupTable;
  private readonly tracker = new GroupChanges();
  private readonly output: OutputBuilder;
  /** The output builders of the group key (window_end, keys…), built once: appendRow runs per emitted group. */
  private keyBuilders: ColumnBuilder[] | null = null;
  private readonly windows = new Map<number, OpenWindow>();
  private readonly kind: 'TUMBLE' | 'HOP' | 'CUMULATE';
  private readonly perRow: number;
  private readonly changes: boolean;
  /** What changed since the last checkpoint. */
  private readonly stateChanges = new StateChanges();
  private readonly lists = new IdListPool();
  /** The window end of each live group (NaN for free ids). */
  private groupEnd = new Float64Array(16).fill(NaN);
  /** Creation order of each group: a window's groups are emitted in it, also after a restore. */
  private groupSeq = new Float64Array(16);
  private nextSeq = 0;
  /** The last watermark forwarded downstream (held back to the first open window's start). */
  private wm = -Infinity;
  /** Scratch arrays of process(), reused across batches. */
  private sel = new Int32Array(0);
  private endCol = new Float64Array(0);

  constructor(
    private readonly out: Emitter,
    private readonly node: WindowAggregateNode,
    private readonly ctx: OperatorContext,
  ) {
    if (node.window.kind === 'SESSION') throw new Error('SESSION windows have their own operator');
    this.kind = node.window.kind;
    this.perRow = maxWindowsPerRow(this.kind, node.window.size, node.window.slide);
    this.table = new GroupTable(
      ['TIMESTAMP', ...node.keys.map((k) => node.input.schema[k]!.type)],
      node.aggs,
      !node.input.appendOnly,
    );
    this.output = new OutputBuilder(node.schema);
    this.changes = node.emit === 'CHANGES';
  }

  private windowStart(end: number): number {
    const w = this.node.window;
    return this.kind === 'CUMULATE' ? cumulateStart(end, w.size, w.offset) : end - w.size;
  }

  process(batch: ChangeBatch): void {
    const n = batch.length;
    if (n === 0) return;
    const tsCol = columnsOf(batch)[this.node.window.timeCol]!;
    const ts = tsCol.values as Float64Array;
    const tsValid = tsCol.nullCount > 0 ? tsCol.nullBitmap! : null;
    const per = this.perRow;
    if (this.changes) this.tracker.begin();
    const late: LateRecord[] = [];
    // (row, window) pairs in arrival order, so every group folds its rows in the order they
    // came whatever the batch size (DOUBLE sums round alike).
    const sel = (this.sel = this.sel.length >= n * per ? this.sel : new Int32Array(n * per));
    const endCol = (this.endCol = this.endCol.length >= n * per ? this.endCol : new Float64Array(n * per));
    const m = this.kind === 'TUMBLE' ? this.tumbleRows(batch, ts, tsValid, sel, endCol, late) : this.slidingRows(batch, ts, tsValid, sel, endCol, late);
    // The key table copies the window ends it keeps: a view of the scratch array will do.
    if (m > 0) this.apply(selectRows(batch, sel, m), m, float64Column(endCol.subarray(0, m)));
    if (late.length > 0) this.ctx.recordLate(late);
    if (this.changes) this.emitChanges();
  }

  /**
   * The (row, window) pairs of a TUMBLE batch into sel/endCol, late rows into `late`; returns
   * how many. This and slidingRows are methods that end at their loop: compiled on stack
   * replacement inside process, the code after the loop deoptimized it on every batch.
   */
  private tumbleRows(batch: ChangeBatch, ts: Float64Array, tsValid: Uint8Array | null, sel: Int32Array, endCol: Float64Array, late: LateRecord[]): number {
    const n = batch.length;
    const { size, offset, timeCol } = this.node.window;
    let m = 0;
    // One window per row: assign and judge it in one pass.
    // Rows mostly come in time order: the last row's window usually holds the next one.
    const wmCol = batch.wm;
    let start = NaN;
    let end = NaN;
    for (let i = 0; i < n; i++) {
      if (tsValid && ((tsValid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const t = ts[i]!;
      if (!(t >= start && t < end)) {
        start = t - floorMod(t - offset, size);
        end = start + size;
      }
      const wm = wmCol === null ? batch.wmConst : wmCol[i]!;
      if (wm >= end) {
        late.push(lateRecord(batch, i, this.node.input.schema, timeCol, wm, { start, end }));
        continue;
      }
      sel[m] = i;
      endCol[m++] = end;
    }
    return m;
  }

  /** As tumbleRows, for HOP and CUMULATE (a row in several windows). */
  private slidingRows(batch: ChangeBatch, ts: Float64Array, tsValid: Uint8Array | null, sel: Int32Array, endCol: Float64Array, late: LateRecord[]): number {
    const n = batch.length;
    const per = this.perRow;
    const { size, slide, offset, timeCol } = this.node.window;
    let m = 0;
    // Every row's windows, row-major with a stride of `per`.
    const starts = new Float64Array(n * per);
    const ends = new Float64Array(n * per);
    // A window count per row: a HOP or CUMULATE row can be in more than 255 windows.
    const counts = new Int32Array(n);
    windowsOfRows(this.kind, ts, tsValid, n, size, slide, offset, starts, ends, per, counts);
    for (let i = 0; i < n; i++) {
      const c = counts[i]!;
      if (c === 0) continue;
      const wm = rowWatermark(batch, i);
      for (let k = i * per; k < i * per + c; k++) {
        const end = ends[k]!;
        if (wm >= end) {
          late.push(lateRecord(batch, i, this.node.input.schema, timeCol, wm, { start: starts[k]!, end }));
          continue;
        }
        sel[m] = i;
        endCol[m] = end;
        m++;
      }
    }
    return m;
  }

  /** Pushes the batch's changes: window columns from each group's end, keys gathered by group id, the tracker's results. */
  private emitChanges(): void {
    const c = this.tracker.finish(this.table, false, this.forgetGroup);
    if (c === null) return;
    const r = c.length;
    const [ends, ...keys] = this.table.keys.keyColumns(c.groups, r);
    const end = ends!.values as Float64Array;
    const start = new Float64Array(r);
    const time = new Float64Array(r);
    this.windowColumns(end, start, time, r);
    const data = makeRecordBatch((this.arrow ??= arrowSchema(this.node.schema)), [float64Column(start), ends!, float64Column(time), ...keys, ...c.aggs], r);
    this.out.push({ data, length: r, ops: c.ops, wm: null, wmConst: this.wm, origin: null });
  }

  private arrow: ReturnType<typeof arrowSchema> | null = null;

  /** Each row's window start and time from its end (a method that ends at its loop, as noteCreated). */
  private windowColumns(end: Float64Array, start: Float64Array, time: Float64Array, r: number): void {
    for (let q = 0; q < r; q++) {
      start[q] = this.windowStart(end[q]!);
      time[q] = end[q]! - 1;
    }
  }

  private apply(rows: ChangeBatch, m: number, ends: Data): void {
    const cols = columnsOf(rows);
    const keyCols = [ends, ...this.node.keys.map((k) => cols[k]!)];
    const gids = this.table.lookup(keyCols, m);
    this.noteCreated();
    if (this.changes) this.tracker.touch(gids, m, this.table);
    this.stateChanges.touchAll(gids, m);
    this.table.update(gids, m, this.node.aggs.map((a) => (a.arg === null ? null : cols[a.arg]!)), signsOf(rows));
  }

  /**
   * Notes the groups the last lookup created in their windows. A method that ends at its loop:
   * the loop, compiled on stack replacement before the code after it had run, deoptimized on
   * every batch when that code followed it.
   */
  private noteCreated(): void {
    this.fitGroups(this.table.keys.capacity);
    const groupEnd = this.groupEnd;
    const keyEnds = this.table.keys.f64[0]!;
    for (const g of this.table.keys.created) {
      const end = keyEnds[g]!;
      groupEnd[g] = end;
      this.groupSeq[g] = this.nextSeq++;
      let w = this.windows.get(end);
      if (!w) {
        w = { start: this.windowStart(end), groups: this.lists.take(), forgot: false };
        this.windows.set(end, w);
      }
      w.groups.push(g);
    }
  }

  private fitGroups(cap: number): void {
    if (this.groupEnd.length >= cap) return;
    const n = Math.max(cap, this.groupEnd.length * 2);
    const a = new Float64Array(n).fill(NaN);
    a.set(this.groupEnd);
    this.groupEnd = a;
    const q = new Float64Array(n);
    q.set(this.groupSeq);
    this.groupSeq = q;
  }

  /** Appends group g as an output row: window_start, window_end, window_time, keys…, its aggregates. */
  private appendRow(g: number, op: number): void {
    const o = this.output;
    const k = this.node.keys.length;
    o.row(op);
    this.table.appendKey(g, (this.keyBuilders ??= [o.columns[1]!, ...o.columns.slice(3, 3 + k)]));
    const end = this.groupEnd[g]!;
    o.columns[0]!.appendNumber(this.windowStart(end));
    o.columns[2]!.appendNumber(end - 1);
    for (let j = 0; j < this.table.accs.length; j++) this.table.accs[j]!.emit(g, o.columns[3 + k + j]!);
  }

  /** The live groups of the window ending at `end`, in creation order, each once. */
  private liveGroups(end: number, w: OpenWindow): Int32Array {
    const all = w.groups.view();
    if (!w.forgot) return all;
    const live = all.filter((g) => this.groupEnd[g] === end);
    live.sort((a, b) => this.groupSeq[a]! - this.groupSeq[b]!);
    return live.filter((g, i) => i === 0 || g !== live[i - 1]);
  }

  /** A group whose rows were all retracted leaves its window. */
  private forgetGroup = (g: number): void => {
    this.stateChanges.remove(g, () => this.entryKey(g));
    const w = this.windows.get(this.groupEnd[g]!);
    if (w) w.forgot = true;
    this.groupEnd[g] = NaN;
  };

  private flush(): void {
    const b = this.output.finish(this.wm, !this.changes);
    if (b) this.out.push(b);
  }

  onWatermark(wm: number): void {
    const closing = [...this.windows.keys()].filter((end) => end <= wm).sort((a, b) => a - b);
    for (const end of closing) {
      const w = this.windows.get(end)!;
      for (const g of this.liveGroups(end, w)) {
        if (!this.changes && this.table.rowCount(g) > 0) this.appendRow(g, OP_INSERT);
        this.stateChanges.remove(g, () => this.entryKey(g));
        this.table.remove(g);
        this.tracker.forget(g);
        this.groupEnd[g] = NaN;
      }
      this.windows.delete(end);
      this.lists.give(w.groups);
    }
    this.flush();
    // Later rows are of windows still open: they start no earlier than this.
    const { size, slide, offset } = this.node.window;
    const held = firstOpenStart(this.kind, wm, size, slide, offset);
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  /** A group's storage key: its window end and group key. */
  private entryKey(g: number): string {
    return valueJson(this.table.keyValues(g));
  }

  checkpointDelta(): StateDelta {
    return this.stateChanges.take(
      () => [...this.windows].flatMap(([end, w]) => [...this.liveGroups(end, w)]),
      (g) => {
        const { rows, accs } = this.table.save(g);
        return [this.entryKey(g), { rows, accs, emitted: this.tracker.isEmitted(g), seq: this.groupSeq[g] }];
      },
      [['#meta', { wm: Number.isFinite(this.wm) ? this.wm : null, nextSeq: this.nextSeq }]],
    );
  }

  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    this.table.clear();
    this.windows.clear();
    this.groupEnd.fill(NaN);
    const ids: number[] = [];
    type Entry = { rows: number; accs: unknown[]; emitted: boolean; seq: number };
    const groups: [string, Entry][] = [];
    for (const [k, v] of entries) {
      if (k === '#meta') {
        const meta = v as { wm: number | null; nextSeq: number };
        this.wm = meta.wm ?? -Infinity;
        this.nextSeq = meta.nextSeq;
      } else groups.push([k, v as Entry]);
    }
    groups.sort((a, b) => a[1].seq - b[1].seq);
    for (const [k, { rows, accs, emitted, seq }] of groups) {
      const key = parseValueJson(k) as Value[];
      const g = this.table.load({ key, rows, accs });
      const end = key[0] as number;
      this.fitGroups(g + 1);
      this.groupEnd[g] = end;
      this.groupSeq[g] = seq;
      if (emitted) this.tracker.markEmitted(g);
      let w = this.windows.get(end);
      if (!w) this.windows.set(end, (w = { start: this.windowStart(end), groups: this.lists.take(), forgot: false }));
      w.groups.push(g);
      ids.push(g);
    }
    this.stateChanges.restored(ids);
  }

  snapshot(): unknown {
    const windows = [...this.windows].map(([end, w]) => ({
      end,
      groups: [...this.liveGroups(end, w)].map((g) => ({ ...this.table.save(g), emitted: this.tracker.isEmitted(g) })),
    }));
    return { windows, wm: Number.isFinite(this.wm) ? this.wm : null };
  }

  restore(state: unknown): void {
    const s = state as { windows: { end: number; groups: (SavedGroup & { emitted: boolean })[] }[]; wm: number | null };
    this.table.clear();
    this.windows.clear();
    this.groupEnd.fill(NaN);
    for (const w of s.windows) {
      const groups = this.lists.take();
      for (const sg of w.groups) {
        const g = this.table.load(sg);
        this.fitGroups(g + 1);
        this.groupEnd[g] = w.end;
        if (sg.emitted) this.tracker.markEmitted(g);
        groups.push(g);
      }
      this.windows.set(w.end, { start: this.windowStart(w.end), groups, forgot: false });
    }
    this.wm = s.wm ?? -Infinity;
  }

  stateSize(): number {
    return this.table.size;
  }

  close(): void {}
}
