/**
 * Groups and their aggregate state: a hash table from key to group id, one accumulator per
 * aggregate call, and the net number of rows in each group (a group whose rows were all
 * retracted has vanished).
 */
import type { Data } from 'apache-arrow';
import type { AggCall } from '../../plan/logical-plan.js';
import type { SqlType, Value } from '../../types.js';
import type { ColumnBuilder } from '../batch.js';
import { KeyTable } from '../vector/key-table.js';
import { int32Column } from '../vector/columns.js';
import { grown, type Accumulator } from './accumulator.js';
import { makeAccumulator } from './make-accumulator.js';
import { scatterArray, type ColumnarState } from '../columnar-state.js';
import { pick } from '../batch-ops.js';
import type { DistinctCounts } from './distinct-counts.js';
import { distinctShares, type DistinctShare } from './shared-distinct.js';

/** Folds the rows into a shared table's lanes at once (as each call's update would, lane by lane). */
function updateShare(s: DistinctShare, gids: Int32Array, n: number, args: readonly (Data | null)[], signs: Int8Array | null): void {
  const cols: Data[] = [];
  const lanes: number[] = [];
  s.members.forEach((j, lane) => {
    const arg = args[j];
    // As DistinctAccumulator.update: a NULL-typed column holds no values.
    if (arg === null || arg === undefined || arg.typeId === 1) return;
    cols.push(arg);
    lanes.push(lane);
  });
  if (cols.length > 0) s.counts.updateLanes(gids, n, cols, lanes, signs);
}

/** One group as plain data (snapshots). */
export interface SavedGroup {
  readonly key: Value[];
  readonly rows: number;
  readonly accs: unknown[];
}

export class GroupTable {
  readonly keys: KeyTable;
  readonly accs: Accumulator[];
  private rows = new Float64Array(16);
  private gids = new Int32Array(1024);

  /** A table without key columns (a global aggregate) keys its one group by a constant. */
  private readonly keyless: boolean;
  private constKey: Data | null = null;

  /** COUNT(DISTINCT) calls sharing a table, updated together; `shared[j]`: call j is in one. */
  private readonly shares: readonly DistinctShare[];
  private readonly shared: Uint8Array;

  /** `sources`: what each call's argument is a copy of (distinctSources), to share DISTINCT tables. */
  constructor(keyTypes: readonly SqlType[], aggs: readonly AggCall[], retractions: boolean, sources?: readonly (string | null)[]) {
    this.keyless = keyTypes.length === 0;
    this.keys = new KeyTable(this.keyless ? ['INT'] : keyTypes);
    this.shares = sources === undefined ? [] : distinctShares(aggs, sources);
    const lanes = new Map<number, { counts: DistinctCounts; lane: number }>();
    for (const s of this.shares) s.members.forEach((j, lane) => lanes.set(j, { counts: s.counts, lane }));
    this.accs = aggs.map((a, j) => makeAccumulator(a, retractions, lanes.get(j)));
    this.shared = Uint8Array.from(aggs, (_, j) => (lanes.has(j) ? 1 : 0));
  }

  get size(): number {
    return this.keys.size;
  }

  private grow(): void {
    const cap = this.keys.capacity;
    if (this.rows.length < cap) {
      this.rows = grown(this.rows, cap);
      for (const a of this.accs) a.grow(this.rows.length);
    }
  }

  /** The group id of each of rows 0..n-1, creating groups as needed (the array is reused). */
  lookup(keyCols: readonly Data[], n: number): Int32Array {
    if (this.gids.length < n) this.gids = new Int32Array(Math.max(n, this.gids.length * 2));
    if (this.keyless) {
      if (this.constKey === null || this.constKey.length < n) this.constKey = int32Column(new Int32Array(Math.max(n, 1024)));
      this.keys.findOrInsert([this.constKey], n, this.gids);
    } else this.keys.findOrInsert(keyCols, n, this.gids);
    this.grow();
    return this.gids;
  }

  /** The id of the group with this key, creating it if needed (slow path). */
  insertKey(key: readonly Value[]): number {
    const g = this.keys.findOrInsertValues(this.keyless ? [0] : key);
    this.grow();
    return g;
  }

  /** Folds rows into their groups (gids from {@link lookup}; -1 skips a row). */
  update(gids: Int32Array, n: number, args: readonly (Data | null)[], signs: Int8Array | null): void {
    const rows = this.rows;
    if (signs === null) {
      for (let i = 0; i < n; i++) {
        const g = gids[i]!;
        if (g >= 0) rows[g]++;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const g = gids[i]!;
        if (g >= 0) rows[g] += signs[i]!;
      }
    }
    for (const s of this.shares) updateShare(s, gids, n, args, signs);
    for (let j = 0; j < this.accs.length; j++) if (this.shared[j] === 0) this.accs[j]!.update(gids, n, args[j]!, signs);
  }

  rowCount(g: number): number {
    return this.rows[g]!;
  }

  /** The aggregate results of group g. */
  values(g: number): Value[] {
    return this.accs.map((a) => a.value(g));
  }

  /** Appends group g's key columns and aggregate results. */
  appendGroup(g: number, keyBuilders: readonly ColumnBuilder[], aggBuilders: readonly ColumnBuilder[]): void {
    this.appendKey(g, keyBuilders);
    for (let j = 0; j < this.accs.length; j++) this.accs[j]!.emit(g, aggBuilders[j]!);
  }

  /** Appends group g's key to one builder per key column. */
  appendKey(g: number, builders: readonly ColumnBuilder[]): void {
    if (!this.keyless) this.keys.appendKey(g, builders);
  }

  /** Group g's key values (slow path). */
  keyValues(g: number): Value[] {
    return this.keyless ? [] : this.keys.keyValues(g);
  }

  /** Folds group src into dst and removes src. */
  merge(dst: number, src: number): void {
    this.rows[dst] += this.rows[src]!;
    for (const a of this.accs) a.merge(dst, src);
    this.remove(src);
  }

  /** Adds group `src` of another table with the same aggregates into group `dst` (both stay). */
  mergeFrom(dst: number, other: GroupTable, src: number): void {
    this.rows[dst] += other.rows[src]!;
    for (let j = 0; j < this.accs.length; j++) this.accs[j]!.merge(dst, src, other.accs[j]!);
  }

  remove(g: number): void {
    this.keys.remove(g);
    this.rows[g] = 0;
    for (const a of this.accs) a.reset(g);
  }

  clear(): void {
    this.keys.clear();
    this.rows.fill(0);
    for (let g = 0; g < this.rows.length; g++) for (const a of this.accs) a.reset(g);
  }

  save(g: number): SavedGroup {
    return { key: this.keyValues(g), rows: this.rows[g]!, accs: this.accs.map((a) => a.save(g)) };
  }

  /** The live group ids, ascending. */
  liveIds(): Int32Array {
    const ids = new Int32Array(this.keys.size);
    let n = 0;
    for (let g = 0; g < this.keys.capacity; g++) if (this.keys.has(g)) ids[n++] = g;
    return ids;
  }

  /** Groups ids[0..n) column-wise: keys, row counts and every accumulator's state. */
  saveColumns(ids: Int32Array, n: number, into: ColumnarState): void {
    this.keys.keyColumns(ids, n).forEach((d, j) => into.putColumn(`key${j}`, d));
    into.put('rows', pick(this.rows, ids, n));
    this.accs.forEach((a, j) => a.saveColumns(ids, n, into, `acc${j}.`));
  }

  /** Adds the `n` groups saveColumns stored (replacing any with the same key); returns their ids. */
  loadColumns(from: ColumnarState, n: number): Int32Array {
    const ids = new Int32Array(n);
    const keys = this.keys.keyTypes.map((t, j) => from.column(`key${j}`, t));
    if (n > 0) this.keys.findOrInsert(keys, n, ids);
    this.grow();
    scatterArray(this.rows, ids, n, from.get('rows', 'f64'));
    this.accs.forEach((a, j) => a.loadColumns(ids, n, from, `acc${j}.`));
    return ids;
  }

  /** Restores a saved group; returns its (new) id. */
  load(s: SavedGroup): number {
    const g = this.insertKey(s.key);
    this.rows[g] = s.rows;
    this.accs.forEach((a, j) => a.load(g, s.accs[j]));
    return g;
  }
}
