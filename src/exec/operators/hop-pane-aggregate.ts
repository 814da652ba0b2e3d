/**
 * HOP windows emitted on window close, computed from panes: the slide-sized slices every
 * window is made of. A row is folded into its one pane (one hash lookup, where a HOP of
 * size/slide windows would need size/slide of them); when the watermark closes a window, the
 * groups of its panes are merged and emitted once (+I). A pane is freed when the last window
 * it belongs to has closed. A row is late for each of its windows that had closed when it
 * arrived (recorded per window); it still counts in the open ones. Used when the size is a
 * whole multiple of the slide; results equal the row-by-row window aggregate.
 */
import { parseValueJson, valueJson } from '../../value-json.js';
import type { Data } from 'apache-arrow';
import type { WindowAggregateNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { ColumnBuilder, columnsOf, OP_INSERT, rowWatermark, type ChangeBatch } from '../batch.js';
import { selectRows, signsOf } from '../batch-ops.js';
import { GroupTable } from '../agg/group-table.js';
import { StateChanges } from '../agg/state-changes.js';
import type { Emitter, LateRecord, Operator, OperatorContext, StateDelta } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { float64Column } from '../vector/columns.js';
import { firstOpenStart, floorMod } from '../window/window-math.js';
import { lateRecord } from '../window/late-record.js';
import { IdList, IdListPool } from '../vector/id-list.js';

/** Whether a window aggregate can run on panes. */
export function canUsePanes(node: WindowAggregateNode): boolean {
  const w = node.window;
  return w.kind === 'HOP' && node.emit === 'ON_WINDOW_CLOSE' && w.size % w.slide === 0 && w.size > w.slide && node.input.appendOnly;
}

export class HopPaneAggregateOperator implements Operator {
  /** Pane groups keyed by (pane end, keys…). */
  private readonly panes: GroupTable;
  /** Group ids of each pane, in creation order. */
  private readonly paneGroups = new Map<number, IdList>();
  private readonly lists = new IdListPool();
  /** Merged groups of the window being emitted, keyed by keys… (cleared after each window). */
  private readonly merged: GroupTable;
  private readonly output: OutputBuilder;
  private readonly slide: number;
  private readonly size: number;
  private readonly offset: number;
  private readonly stateChanges = new StateChanges();
  /** Every window ending at or before this has been emitted (or had no rows). */
  private closedThrough = -Infinity;
  /** The last watermark forwarded downstream. */
  private wm = -Infinity;
  /** Scratch arrays of process(), reused across batches. */
  private sel = new Int32Array(0);
  private paneEnds = new Float64Array(0);

  constructor(
    private readonly out: Emitter,
    private readonly node: WindowAggregateNode,
    private readonly ctx: OperatorContext,
  ) {
    const w = node.window;
    this.slide = w.slide;
    this.size = w.size;
    this.offset = w.offset;
    const keyTypes = node.keys.map((k) => node.input.schema[k]!.type);
    this.panes = new GroupTable(['TIMESTAMP', ...keyTypes], node.aggs, false);
    this.merged = new GroupTable(keyTypes, node.aggs, false);
    this.output = new OutputBuilder(node.schema);
  }

  /** The first window end on the grid after `t`. */
  private endAfter(t: number): number {
    return t - floorMod(t - this.offset, this.slide) + this.slide;
  }

  process(batch: ChangeBatch): void {
    const n = batch.length;
    if (n === 0) return;
    const tsCol = columnsOf(batch)[this.node.window.timeCol]!;
    const ts = tsCol.values as Float64Array;
    const tsValid = tsCol.nullCount > 0 ? tsCol.nullBitmap! : null;
    const { slide, size, offset } = this;
    const sel = (this.sel = this.sel.length >= n ? this.sel : new Int32Array(n));
    const paneEnds = (this.paneEnds = this.paneEnds.length >= n ? this.paneEnds : new Float64Array(n));
    const late: LateRecord[] = [];
    let m = 0;
    let from = 0;
    // The next window that can close: the first end after those already closed that some pane
    // (folded, or of a row waiting in this batch) reaches. Once a row's watermark passes it,
    // the window closes right there, with exactly the rows before (rows are judged one by one,
    // SPEC 2.5).
    let minPane = Infinity;
    for (const pe of this.paneGroups.keys()) if (pe < minPane) minPane = pe;
    const nextClose = () => Math.max(Number.isFinite(this.closedThrough) ? this.endAfter(this.closedThrough) : -Infinity, minPane);
    let closeAt = nextClose();
    for (let i = 0; i < n; i++) {
      if (tsValid && ((tsValid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const wm = rowWatermark(batch, i);
      const t = ts[i]!;
      const pe = t - floorMod(t - offset, slide) + slide;
      // A row late for its first window closes everything up to its watermark first, so that
      // window (which no pane may have reached yet) is never emitted with it.
      if (wm >= closeAt || (wm >= pe && wm > this.closedThrough)) {
        this.fold(batch, sel, paneEnds, from, m);
        from = m;
        this.closeThrough(wm);
        minPane = Infinity;
        for (const pe of this.paneGroups.keys()) if (pe < minPane) minPane = pe;
        closeAt = nextClose();
      }
      // Its windows end at pe, pe + slide, …, pe + size - slide: those at or below wm had closed.
      if (wm >= pe) {
        for (let e = pe; e <= pe + size - slide && e <= wm; e += slide) late.push(lateRecord(batch, i, this.node.input.schema, this.node.window.timeCol, wm, { start: e - size, end: e }));
        if (wm >= pe + size - slide) continue;
      }
      sel[m] = i;
      paneEnds[m++] = pe;
      if (pe < minPane) {
        minPane = pe;
        closeAt = nextClose();
      }
    }
    this.fold(batch, sel, paneEnds, from, m);
    if (late.length > 0) this.ctx.recordLate(late);
    this.flush();
  }

  /** Folds rows sel[from..to) into their panes. */
  private fold(batch: ChangeBatch, sel: Int32Array, paneEnds: Float64Array, from: number, to: number): void {
    const m = to - from;
    if (m === 0) return;
    const all = from === 0 && m === batch.length;
    const rows = all ? batch : selectRows(batch, sel.subarray(from, to), m);
    const cols = columnsOf(rows);
    const ends = paneEnds.subarray(from, to);
    // The key table copies the pane ends it keeps: a view of the scratch array will do.
    const gids = this.panes.lookup([float64Column(ends), ...this.node.keys.map((k) => cols[k]!)], m);
    // A pane's group list (and its cached keys) change only when a probe creates a group.
    const endOf = this.panes.keys.f64[0]!;
    let lastPe = NaN;
    let list: IdList | undefined;
    for (const g of this.panes.keys.created) {
      const pe = endOf[g]!;
      if (pe !== lastPe) {
        list = this.paneGroups.get(pe);
        if (!list) this.paneGroups.set(pe, (list = this.lists.take()));
        this.paneKeyCache.delete(pe);
        lastPe = pe;
      }
      list!.push(g);
    }
    this.stateChanges.touchAll(gids, m);
    this.panes.update(gids, m, this.node.aggs.map((a) => (a.arg === null ? null : cols[a.arg]!)), signsOf(rows));
  }

  /** Each pane's group ids and their keys as columns, built once for the size/slide windows that read the pane. */
  private readonly paneKeyCache = new Map<number, { ids: Int32Array; keys: Data[] }>();

  private paneKeys(pe: number): { ids: Int32Array; keys: Data[] } {
    let c = this.paneKeyCache.get(pe);
    if (!c) {
      const ids = this.paneGroups.get(pe)!.view().slice();
      const builders = this.panes.keys.keyTypes.map((t) => new ColumnBuilder(t, ids.length));
      for (const g of ids) this.panes.appendKey(g, builders);
      c = { ids, keys: builders.slice(1).map((b) => b.finish()) };
      this.paneKeyCache.set(pe, c);
    }
    return c;
  }

  /** Emits the window ending at `end` from its panes. */
  private emitWindow(end: number): void {
    const merged = this.merged;
    const k = this.node.keys.length;
    const order: number[] = [];
    for (let pe = end - this.size + this.slide; pe <= end; pe += this.slide) {
      if (!this.paneGroups.has(pe)) continue;
      const { ids, keys } = this.paneKeys(pe);
      const dst = merged.lookup(keys, ids.length);
      for (let i = 0; i < ids.length; i++) {
        const d = dst[i]!;
        if (merged.rowCount(d) === 0) order.push(d);
        merged.mergeFrom(d, this.panes, ids[i]!);
      }
    }
    const o = this.output;
    const keyBuilders = o.columns.slice(3, 3 + k);
    for (const g of order) {
      o.row(OP_INSERT);
      o.columns[0]!.appendNumber(end - this.size);
      o.columns[1]!.appendNumber(end);
      o.columns[2]!.appendNumber(end - 1);
      merged.appendKey(g, keyBuilders);
      for (let j = 0; j < merged.accs.length; j++) merged.accs[j]!.emit(g, o.columns[3 + k + j]!);
    }
    merged.clear();
  }

  /**
   * Closes every window ending in (closedThrough, wm] that some pane reaches: emits it from
   * its panes, then frees the panes whose last window has closed.
   */
  private closeThrough(wm: number): void {
    if (wm <= this.closedThrough) return;
    if (this.paneGroups.size > 0) {
      let first = Infinity;
      let last = -Infinity;
      for (const pe of this.paneGroups.keys()) {
        if (pe < first) first = pe;
        if (pe > last) last = pe;
      }
      const after = Number.isFinite(this.closedThrough) ? this.endAfter(this.closedThrough) : first;
      for (let end = Math.max(after, first); end <= wm && end <= last + this.size - this.slide; end += this.slide) this.emitWindow(end);
      for (const [pe, groups] of this.paneGroups) {
        if (pe + this.size - this.slide > wm) continue;
        for (const g of groups.view()) {
          this.stateChanges.remove(g, () => valueJson(this.panes.keyValues(g)));
          this.panes.remove(g);
        }
        this.paneGroups.delete(pe);
        this.lists.give(groups);
        this.paneKeyCache.delete(pe);
      }
    }
    this.closedThrough = wm;
  }

  private flush(): void {
    const b = this.output.finish(this.wm, true);
    if (b) this.out.push(b);
  }

  onWatermark(wm: number): void {
    this.closeThrough(wm);
    this.flush();
    // Later rows are of windows still open: they start no earlier than this.
    const held = firstOpenStart('HOP', wm, this.size, this.slide, this.node.window.offset);
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  checkpointDelta(): StateDelta {
    return this.stateChanges.take(
      () => [...this.paneGroups.values()].flatMap((s) => [...s]),
      (g) => {
        const { key, rows, accs } = this.panes.save(g);
        return [valueJson(key), { rows, accs }];
      },
      [['#meta', this.meta()]],
    );
  }

  private meta(): unknown {
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    return { wm: num(this.wm), closedThrough: num(this.closedThrough), order: this.order() };
  }

  /** Each pane's groups in creation order, as storage keys (emission order survives a restore). */
  private order(): string[] {
    return [...this.paneGroups.values()].flatMap((s) => [...s].map((g) => valueJson(this.panes.keyValues(g))));
  }

  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    this.panes.clear();
    this.paneGroups.clear();
    this.paneKeyCache.clear();
    const meta = entries.get('#meta') as { wm: number | null; closedThrough: number | null; order: string[] } | undefined;
    this.wm = meta?.wm ?? -Infinity;
    this.closedThrough = meta?.closedThrough ?? -Infinity;
    const keys = meta?.order ?? [...entries.keys()].filter((k) => k !== '#meta');
    const ids: number[] = [];
    for (const k of keys) {
      const v = entries.get(k) as { rows: number; accs: unknown[] } | undefined;
      if (!v) continue;
      const key = parseValueJson(k) as Value[];
      const g = this.panes.load({ key, rows: v.rows, accs: v.accs });
      const pe = key[0] as number;
      let list = this.paneGroups.get(pe);
      if (!list) this.paneGroups.set(pe, (list = this.lists.take()));
      list.push(g);
      ids.push(g);
    }
    this.stateChanges.restored(ids);
  }

  snapshot(): unknown {
    const d = new Map<string, unknown>([['#meta', this.meta()]]);
    for (const s of this.paneGroups.values()) {
      for (const g of s) {
        const { key, rows, accs } = this.panes.save(g);
        d.set(valueJson(key), { rows, accs });
      }
    }
    return Object.fromEntries(d);
  }

  restore(state: unknown): void {
    this.restoreEntries(new Map(Object.entries(state as Record<string, unknown>)));
  }

  stateSize(): number {
    return this.panes.size;
  }

  close(): void {}
}
