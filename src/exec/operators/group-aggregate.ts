/**
 * GROUP BY without windows: keeps every group's aggregates and emits a changelog keyed by
 * the group (-U/+U on change, +I for a new group, -D when its last row is retracted). A
 * global aggregate (no GROUP BY) always has its one row, as in SQL.
 *
 * With the view's `state_ttl` (an append-only input), a group that took no row while the
 * watermark moved on by the TTL is dropped without a change: its row stays in the view, and
 * a later row of its key starts a new group (+I, which the view takes as the key's row), as
 * Flink's state TTL. Whether a row finds its group alive is judged by the watermark it
 * arrived under, so batch cuts do not change the result.
 */
import { parseValueJson, valueJson } from '../../value-json.js';
import type { AggregateNode } from '../../plan/logical-plan.js';
import { columnsOf, rowWatermark, type ChangeBatch } from '../batch.js';
import { pick, signsOf, sliceChange } from '../batch-ops.js';
import { grown } from '../agg/accumulator.js';
import { GroupChanges, type GroupChangeSet } from '../agg/group-changes.js';
import { GroupTable, type SavedGroup } from '../agg/group-table.js';
import { distinctSources } from '../agg/shared-distinct.js';
import type { Emitter, Operator, StateDelta } from '../operator.js';
import { StateChanges } from '../agg/state-changes.js';
import type { Value } from '../../types.js';
import { OutputBuilder } from '../output-builder.js';
import { attachRowKeys, keySpaceOf, type KeySpace } from '../row-keys.js';
import { arrowSchema, makeRecordBatch, OP_INSERT } from '../batch.js';
import { ColumnarState, scatterArray } from '../columnar-state.js';

/** Incremental entries below this never trigger a compaction (a small view rewrites cheaply anyway, but need not). */
const MIN_COMPACTION = 4096;

/** Each change's provenance: its group's last event in the batch (-1: none noted). A function that ends at its loop (see group-changes.ts). */
function lastEvents(last: Float64Array, groups: Int32Array, r: number): Float64Array {
  const offsets = new Float64Array(r);
  for (let q = 0; q < r; q++) offsets[q] = groups[q]! < last.length ? last[groups[q]!]! : -1;
  return offsets;
}

export class GroupAggregateOperator implements Operator {
  private readonly table: GroupTable;
  private readonly tracker = new GroupChanges();
  private readonly stateChanges = new StateChanges();
  private readonly output: OutputBuilder;
  private readonly arrow: ReturnType<typeof arrowSchema>;
  private readonly global: boolean;
  private wm = -Infinity;
  private globalGroup = -1;
  /** Entries incremental checkpoints wrote since the last full one (see checkpointDelta). */
  private entriesSinceFull = 0;
  /** Per group, the offset of its last event in the batch being processed (the change's provenance). */
  private lastEvent = new Float64Array(16);
  /** state_ttl in ms (null: groups live until retracted). */
  private readonly ttl: number | null;
  /** state_ttl: per group, the watermark its last row arrived under (-Infinity: before any). */
  private seen = new Float64Array(16);
  /** state_ttl: the first finite watermark, from which groups seen before any count. */
  private firstWm = Infinity;
  /** state_ttl: the watermark of the last sweep for dropped groups. */
  private sweptAt = -Infinity;
  private probe = new Int32Array(0);
  private stamp = new Int32Array(16);
  private epoch = 0;
  /**
   * The group id of each emitted row, attached to the output (row-keys.ts) so a view's net
   * delta need not hash the keys. A space lasts while no group id has been freed: one freed
   * (a group vanished or lapsed) may name another key from then on.
   */
  private space: KeySpace;
  private removed = false;
  /** The output's key columns: the group keys come first. */
  private readonly keyColumns: readonly number[];

  constructor(
    private readonly out: Emitter,
    private readonly node: AggregateNode,
  ) {
    this.table = new GroupTable(
      node.keys.map((k) => node.input.schema[k]!.type),
      node.aggs,
      !node.input.appendOnly,
      distinctSources(node.input, node.aggs),
    );
    this.output = new OutputBuilder(node.schema);
    this.arrow = arrowSchema(node.schema);
    this.global = node.keys.length === 0;
    this.ttl = node.idleTtlMs ?? null;
    this.space = keySpaceOf(this.table.keys);
    this.keyColumns = node.keys.map((_, j) => j);
  }

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
    // A global aggregate's changes carry no row keys (it has no key columns).
    this.output.row(OP_INSERT);
    this.output.values(0, this.table.values(this.globalGroup));
    const b = this.output.finish(this.wm, false);
    if (b) this.out.push(b);
  }

  /** The query runs: a global aggregate over no rows yet has its row. */
  start(): void {
    this.ensureGlobal(true);
  }

  process(batch: ChangeBatch): void {
    if (this.ttl !== null && batch.length > 0) this.processWithTtl(batch, this.ttl);
    else this.processRows(batch);
  }

  /**
   * Cuts the batch where its watermark has moved on by more than the TTL since the cut's first
   * row, so no group can lapse between two of its rows inside a cut; before each cut, drops
   * the groups whose first row in it finds them lapsed.
   */
  private processWithTtl(batch: ChangeBatch, ttl: number): void {
    const n = batch.length;
    let from = 0;
    while (from < n) {
      const w0 = rowWatermark(batch, from);
      let to = from + 1;
      while (to < n && !(rowWatermark(batch, to) - w0 > ttl)) to++;
      const cut = from === 0 && to === n ? batch : sliceChange(batch, from, to);
      this.dropLapsed(cut, ttl);
      this.processRows(cut);
      from = to;
    }
  }

  /** The watermark group g's last row came under (before any watermark: the first one). */
  private seenAt(g: number): number {
    const s = this.seen[g]!;
    return s === -Infinity ? this.firstWm : s;
  }

  /** Drops the existing groups of the batch's rows that lapsed before their first row in it. */
  private dropLapsed(batch: ChangeBatch, ttl: number): void {
    const n = batch.length;
    const cols = columnsOf(batch);
    if (this.probe.length < n) this.probe = new Int32Array(n);
    this.table.keys.find(this.node.keys.map((k) => cols[k]!), n, this.probe);
    this.stamp = grown(this.stamp, this.table.keys.capacity);
    const epoch = ++this.epoch;
    for (let i = 0; i < n; i++) {
      const w = rowWatermark(batch, i);
      // The first finite watermark in row order, whichever group the row is of.
      if (w !== -Infinity && this.firstWm === Infinity) this.firstWm = w;
      const g = this.probe[i]!;
      if (g < 0 || this.stamp[g] === epoch) continue;
      this.stamp[g] = epoch;
      if (w - ttl > this.seenAt(g)) this.lapse(g);
    }
  }

  /** Drops group g without a change: the view keeps its last row. */
  private lapse(g: number): void {
    this.tracker.forget(g);
    this.stateChanges.remove(g, () => valueJson(this.table.keyValues(g)));
    this.table.remove(g);
    // Nothing is being emitted here (between batches): the next rows are of a new space.
    this.space = keySpaceOf(this.table.keys);
  }

  /** Notes the watermark each row's group last took a row under. */
  private noteSeen(batch: ChangeBatch, gids: Int32Array, n: number): void {
    const seen = this.fitSeen();
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g >= 0) seen[g] = rowWatermark(batch, i);
    }
  }

  private processRows(batch: ChangeBatch): void {
    this.ensureGlobal(false);
    const n = batch.length;
    if (n === 0) return;
    const cols = columnsOf(batch);
    const gids = this.global ? this.globalIds(n) : this.table.lookup(this.node.keys.map((k) => cols[k]!), n);
    if (this.ttl !== null) this.noteSeen(batch, gids, n);
    const signs = signsOf(batch);
    if (batch.origin !== null) this.noteEvents(gids, n, batch.origin.offsets);
    this.tracker.begin();
    this.tracker.touch(gids, n, this.table);
    this.stateChanges.touchAll(gids, n);
    this.table.update(gids, n, this.node.aggs.map((a) => (a.arg === null ? null : cols[a.arg]!)), signs);
    const changes = this.tracker.finish(this.table, this.global, (g) => {
      this.removed = true;
      this.stateChanges.remove(g, () => valueJson(this.table.keyValues(g)));
    });
    this.emitChanges(changes, batch.origin?.source ?? null);
  }

  /** Pushes a batch's changes: the key columns gathered by group id, the results as the tracker made them. */
  private emitChanges(changes: GroupChangeSet | null, source: string | null): void {
    if (changes !== null) {
      const r = changes.length;
      const groups = changes.groups;
      const keys = this.global ? [] : this.table.keys.keyColumns(groups, r);
      const origin = source === null ? null : { source, offsets: lastEvents(this.lastEvent, groups, r) };
      const data = makeRecordBatch(this.arrow, [...keys, ...changes.aggs], r);
      if (!this.global) attachRowKeys(data, { space: this.space, columns: this.keyColumns, ids: groups });
      this.out.push({ data, length: r, ops: changes.ops, wm: null, wmConst: this.wm, origin });
    }
    // The groups this batch removed had their ids in it: another key may take them next.
    if (this.removed) {
      this.space = keySpaceOf(this.table.keys);
      this.removed = false;
    }
  }

  /**
   * A group's current row as the operator emitted it, as a one-row insert batch (null: the
   * group has no row), for pull queries answered from state (point-lookup.ts).
   */
  currentRow(key: readonly Value[]): ChangeBatch | null {
    const g = this.table.keys.findValues(key);
    if (g < 0 || !this.tracker.isEmitted(g)) return null;
    const o = (this.lookupOutput ??= new OutputBuilder(this.node.schema));
    o.row(OP_INSERT);
    this.table.appendKey(g, o.columns);
    o.values(this.node.keys.length, this.table.values(g) as never);
    return o.finish(this.wm, false);
  }

  private lookupOutput: OutputBuilder | undefined;

  /** Each group's change in this batch is named after the group's last event in it. */
  private noteEvents(gids: Int32Array, n: number, offsets: Float64Array): void {
    if (this.lastEvent.length < this.table.keys.capacity) this.lastEvent = new Float64Array(this.table.keys.capacity);
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g >= 0) this.lastEvent[g] = offsets[i]!;
    }
  }

  private ids = new Int32Array(0);
  private globalIds(n: number): Int32Array {
    if (this.ids.length < n) this.ids = new Int32Array(n);
    this.ids.fill(this.globalGroup, 0, n);
    return this.ids;
  }

  onWatermark(wm: number): void {
    this.ensureGlobal(true);
    this.wm = wm;
    if (this.ttl !== null && Number.isFinite(wm)) this.sweep(wm, this.ttl);
    this.out.watermark(wm);
  }

  /** Frees the groups that lapsed by watermark `wm` (a row of theirs would find them gone anyway), every quarter TTL of watermark. */
  private sweep(wm: number, ttl: number): void {
    if (this.firstWm === Infinity) this.firstWm = wm;
    if (wm - this.sweptAt < ttl / 4) return;
    this.sweptAt = wm;
    const ids = this.table.liveIds();
    for (let k = 0; k < ids.length; k++) if (wm - ttl > this.seenAt(ids[k]!)) this.lapse(ids[k]!);
  }

  /**
   * A full checkpoint stores every group column-wise in one `#groups` entry; later ones put
   * the groups that changed as JSON entries by key (a vanished group as null, since the key
   * may live inside `#groups`). A full one is written again when that is cheaper (a quarter
   * of the groups changed: a JSON entry costs about ten columnar ones), or to compact once
   * the entries add up to more than the live groups.
   */
  checkpointDelta(): StateDelta {
    const meta = ['#meta', { wm: Number.isFinite(this.wm) ? this.wm : null, globalEmitted: this.globalGroup >= 0, ...this.ttlMeta() }] as const;
    const pending = this.stateChanges.pendingCount;
    if (pending * 4 > this.table.size || this.entriesSinceFull + pending > Math.max(this.table.size, MIN_COMPACTION)) this.stateChanges.rewrite();
    if (this.stateChanges.pendingFull) {
      const ids = this.table.liveIds();
      const groups = new ColumnarState({ groups: ids.length });
      this.table.saveColumns(ids, ids.length, groups);
      if (this.ttl !== null) groups.put('seen', pick(this.fitSeen(), ids, ids.length));
      this.stateChanges.restored(ids);
      this.entriesSinceFull = 0;
      return { full: true, puts: [meta, ['#groups', groups]], deletes: [] };
    }
    const d = this.stateChanges.take(
      () => [],
      (g) => {
        const { key, rows, accs } = this.table.save(g);
        return [valueJson(key), { rows, accs, ...this.seenEntry(g) }];
      },
      [meta],
    );
    this.entriesSinceFull += d.puts.length + d.deletes.length;
    if (d.deletes.length === 0) return d;
    // A group that vanished and came back under the same key is put, not deleted.
    const put = new Set(d.puts.map(([k]) => k));
    const gone = d.deletes.filter((k) => !put.has(k)).map((k) => [k, null] as const);
    return { full: false, puts: [...d.puts, ...gone], deletes: [] };
  }

  /** Restores what checkpointDelta wrote, or a checkpoint of older versions (every group a JSON entry). */
  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    this.table.clear();
    this.space = keySpaceOf(this.table.keys);
    const meta = entries.get('#meta') as { wm: number | null; firstWm?: number | null } | undefined;
    this.restoreTtlMeta(meta);
    const groups = entries.get('#groups');
    if (groups instanceof ColumnarState) {
      const n = (groups.meta as { groups: number }).groups;
      const ids = this.table.loadColumns(groups, n);
      this.restoreSeen(ids, n, groups.has('seen') ? groups.get('seen', 'f64') : null);
    }
    // JSON entries count towards the next compaction: an older version's checkpoint (all of
    // them JSON) becomes columnar at the next one.
    let json = 0;
    for (const [k, v] of entries) {
      if (k === '#meta') {
        this.wm = (v as { wm: number | null }).wm ?? -Infinity;
        continue;
      }
      if (k === '#groups') continue;
      json++;
      if (v === null) {
        const g = this.table.keys.findValues(parseValueJson(k) as Value[]);
        if (g >= 0) this.table.remove(g);
        continue;
      }
      const { rows, accs, seen } = v as { rows: number; accs: unknown[]; seen?: number | null };
      const g = this.table.load({ key: parseValueJson(k) as Value[], rows, accs });
      this.restoreSeen(Int32Array.of(g), 1, seen === undefined ? null : [seen ?? -Infinity]);
    }
    const ids = this.table.liveIds();
    for (let i = 0; i < ids.length; i++) this.tracker.markEmitted(ids[i]!);
    if (this.global && ids.length > 0) this.globalGroup = ids[0]!;
    this.stateChanges.restored(ids);
    this.entriesSinceFull = json;
  }

  snapshot(): unknown {
    const groups: (SavedGroup & { seen?: number | null })[] = [];
    for (let g = 0; g < this.table.keys.capacity; g++) {
      if (this.table.keys.has(g)) groups.push({ ...this.table.save(g), ...this.seenEntry(g) });
    }
    return { groups, wm: Number.isFinite(this.wm) ? this.wm : null, globalEmitted: this.globalGroup >= 0, ...this.ttlMeta() };
  }

  restore(state: unknown): void {
    const s = state as { groups: (SavedGroup & { seen?: number | null })[]; wm: number | null; globalEmitted: boolean; firstWm?: number | null };
    this.table.clear();
    this.restoreTtlMeta(s);
    for (const sg of s.groups) {
      const g = this.table.load(sg);
      this.tracker.markEmitted(g);
      if (this.global) this.globalGroup = g;
      this.restoreSeen(Int32Array.of(g), 1, sg.seen === undefined ? null : [sg.seen ?? -Infinity]);
    }
    this.wm = s.wm ?? -Infinity;
  }

  /** state_ttl's checkpointed part of `#meta`: the first finite watermark. */
  private ttlMeta(): { firstWm?: number | null } {
    return this.ttl === null ? {} : { firstWm: Number.isFinite(this.firstWm) ? this.firstWm : null };
  }

  /** A group's JSON entry's `seen` (state_ttl only; -Infinity as null). */
  private seenEntry(g: number): { seen?: number | null } {
    if (this.ttl === null) return {};
    const s = this.fitSeen()[g]!;
    return { seen: Number.isFinite(s) ? s : null };
  }

  private fitSeen(): Float64Array {
    return (this.seen = grown(this.seen, this.table.keys.capacity));
  }

  private restoreTtlMeta(meta: { wm: number | null; firstWm?: number | null } | undefined): void {
    // A checkpoint from before state_ttl counts its groups from the watermark it was taken at.
    this.firstWm = meta?.firstWm ?? meta?.wm ?? Infinity;
    this.sweptAt = -Infinity;
  }

  /** The restored groups' `seen`; a checkpoint without them (from before state_ttl): as if before any watermark. */
  private restoreSeen(ids: Int32Array, n: number, seen: ArrayLike<number> | null): void {
    if (this.ttl === null) return;
    const a = this.fitSeen();
    if (seen === null) for (let i = 0; i < n; i++) a[ids[i]!] = -Infinity;
    else scatterArray(a, ids, n, seen);
  }

  stateSize(): number {
    return this.table.size;
  }

  close(): void {}
}
