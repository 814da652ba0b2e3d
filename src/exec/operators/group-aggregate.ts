/**
 * GROUP BY without windows: keeps every group's aggregates and emits a changelog keyed by
 * the group (-U/+U on change, +I for a new group, -D when its last row is retracted). A
 * global aggregate (no GROUP BY) always has its one row, as in SQL.
 */
import type { AggregateNode } from '../../plan/logical-plan.js';
import { columnsOf, type ChangeBatch } from '../batch.js';
import { signsOf } from '../batch-ops.js';
import { ChangeTracker } from '../agg/change-tracker.js';
import { GroupTable, type SavedGroup } from '../agg/group-table.js';
import type { Emitter, Operator, StateDelta } from '../operator.js';
import { StateChanges } from '../agg/state-changes.js';
import type { Value } from '../../types.js';
import { OutputBuilder } from '../output-builder.js';
import { OP_INSERT } from '../batch.js';

export class GroupAggregateOperator implements Operator {
  private readonly table: GroupTable;
  private readonly tracker = new ChangeTracker();
  private readonly stateChanges = new StateChanges();
  private readonly output: OutputBuilder;
  private readonly global: boolean;
  private wm = -Infinity;
  private globalGroup = -1;
  /** Per group, the offset of its last event in the batch being processed (the change's provenance). */
  private lastEvent = new Float64Array(16);

  constructor(
    private readonly out: Emitter,
    private readonly node: AggregateNode,
  ) {
    this.table = new GroupTable(
      node.keys.map((k) => node.input.schema[k]!.type),
      node.aggs,
      !node.input.appendOnly,
    );
    this.output = new OutputBuilder(node.schema);
    this.global = node.keys.length === 0;
  }

  private emitRow = (g: number, op: number, values: readonly unknown[]): void => {
    const o = this.output;
    o.row(op, g < this.lastEvent.length ? this.lastEvent[g]! : -1);
    this.table.appendKey(g, o.columns);
    o.values(this.node.keys.length, values as never);
  };

  /**
   * The one group of a global aggregate, there from the start as in SQL. With `emit` its row
   * is emitted (+I) now; else the batch about to be folded emits it (+I with its values).
   */
  private ensureGlobal(emit: boolean): void {
    if (!this.global || this.globalGroup >= 0) return;
    this.globalGroup = this.table.insertKey([]);
    this.stateChanges.touch(this.globalGroup);
    if (!emit) return;
    this.tracker.markEmitted(this.globalGroup);
    this.emitRow(this.globalGroup, OP_INSERT, this.table.values(this.globalGroup));
    this.flush();
  }

  /** The query runs: a global aggregate over no rows yet has its row. */
  start(): void {
    this.ensureGlobal(true);
  }

  process(batch: ChangeBatch): void {
    this.ensureGlobal(false);
    const n = batch.length;
    if (n === 0) return;
    const cols = columnsOf(batch);
    const gids = this.global ? this.globalIds(n) : this.table.lookup(this.node.keys.map((k) => cols[k]!), n);
    const signs = signsOf(batch);
    if (batch.origin !== null) this.noteEvents(gids, n, batch.origin.offsets, batch.origin.source);
    this.tracker.begin();
    this.tracker.touch(gids, n, this.table);
    this.stateChanges.touchAll(gids, n);
    this.table.update(gids, n, this.node.aggs.map((a) => (a.arg === null ? null : cols[a.arg]!)), signs);
    this.tracker.finish(this.table, this.emitRow, this.global, (g) => this.stateChanges.remove(g, () => JSON.stringify(this.table.keyValues(g))));
    this.flush();
  }

  /** Each group's change in this batch is named after the group's last event in it. */
  private noteEvents(gids: Int32Array, n: number, offsets: Float64Array, source: string): void {
    if (this.lastEvent.length < this.table.keys.capacity) this.lastEvent = new Float64Array(this.table.keys.capacity);
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g >= 0) this.lastEvent[g] = offsets[i]!;
    }
    this.output.from(source);
  }

  private ids = new Int32Array(0);
  private globalIds(n: number): Int32Array {
    if (this.ids.length < n) this.ids = new Int32Array(n);
    this.ids.fill(this.globalGroup, 0, n);
    return this.ids;
  }

  private flush(): void {
    const b = this.output.finish(this.wm, false);
    if (b) this.out.push(b);
  }

  onWatermark(wm: number): void {
    this.ensureGlobal(true);
    this.wm = wm;
    this.out.watermark(wm);
  }

  checkpointDelta(): StateDelta {
    const live = () => {
      const ids: number[] = [];
      for (let g = 0; g < this.table.keys.capacity; g++) if (this.table.keys.has(g)) ids.push(g);
      return ids;
    };
    return this.stateChanges.take(
      live,
      (g) => {
        const { key, rows, accs } = this.table.save(g);
        return [JSON.stringify(key), { rows, accs }];
      },
      [['#meta', { wm: Number.isFinite(this.wm) ? this.wm : null, globalEmitted: this.globalGroup >= 0 }]],
    );
  }

  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    this.table.clear();
    const ids: number[] = [];
    for (const [k, v] of entries) {
      if (k === '#meta') {
        this.wm = (v as { wm: number | null }).wm ?? -Infinity;
        continue;
      }
      const { rows, accs } = v as { rows: number; accs: unknown[] };
      const g = this.table.load({ key: JSON.parse(k) as Value[], rows, accs });
      this.tracker.markEmitted(g);
      if (this.global) this.globalGroup = g;
      ids.push(g);
    }
    this.stateChanges.restored(ids);
  }

  snapshot(): unknown {
    const groups: SavedGroup[] = [];
    for (let g = 0; g < this.table.keys.capacity; g++) {
      if (this.table.keys.has(g)) groups.push(this.table.save(g));
    }
    return { groups, wm: Number.isFinite(this.wm) ? this.wm : null, globalEmitted: this.globalGroup >= 0 };
  }

  restore(state: unknown): void {
    const s = state as { groups: SavedGroup[]; wm: number | null; globalEmitted: boolean };
    this.table.clear();
    for (const sg of s.groups) {
      const g = this.table.load(sg);
      this.tracker.markEmitted(g);
      if (this.global) this.globalGroup = g;
    }
    this.wm = s.wm ?? -Infinity;
  }

  stateSize(): number {
    return this.table.size;
  }

  close(): void {}
}
