/**
 * Semi and anti joins (EXISTS, IN, NOT EXISTS, NOT IN subqueries; see SemiJoinNode) over
 * append-only inputs or changelogs. The right side is kept only as a match count per key;
 * the left side keeps its rows (as the Arrow columns they arrived in), indexed by key, so a
 * change of a key's count can emit or retract them: a semi join emits a left row when its
 * key's first match arrives and retracts it when the last one goes; an anti join the reverse.
 *
 * NOT IN (`nullAware`) also counts, per group (the correlation keys before the probe), the
 * right rows and the right rows whose probe is NULL: a left row is kept when its group is
 * empty, or when its probe is not NULL and the group holds neither it nor a NULL (DuckDB's
 * three-valued NOT IN, read as a WHERE condition). Left rows whose keys decide their fate
 * alone (a NULL key never matches) are not stored.
 *
 * A mark join (`mark`) outputs every left row with the predicate's value (EXISTS, or the
 * three-valued IN from the same counts) and, when a right change flips it, -U/+U the row.
 *
 * The output watermark: an output row may be an old left row a new right row released, so
 * while the right side can still send rows, event-time columns of the left have no lower
 * bound (as in a regular join; see join.ts).
 *
 * Checkpoints are incremental: entries are the left rows (by a stable seq) and the non-zero
 * counts (by key values), and only those changed since the last checkpoint are written.
 */
import { parseValueJson, valueJson } from '../../value-json.js';
import type { Data } from 'apache-arrow';
import type { SemiJoinNode } from '../../plan/logical-plan.js';
import type { Schema, Value } from '../../types.js';
import {
  batchFromRows,
  columnsOf,
  isRetraction,
  isValid,
  OP_DELETE,
  OP_INSERT,
  OP_UPDATE_AFTER,
  OP_UPDATE_BEFORE,
  readValue,
  type ChangeBatch,
} from '../batch.js';
import { WatermarkMerger, type Emitter, type Operator, type StateDelta } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { KeyTable } from '../vector/key-table.js';

const REF_SPLIT = 2 ** 21;

/** A growable Int32Array indexed by key id. */
class Counts {
  a = new Int32Array(64);
  at(id: number): number {
    return id < this.a.length ? this.a[id]! : 0;
  }
  add(id: number, d: number): number {
    if (id >= this.a.length) {
      const b = new Int32Array(Math.max(id + 1, this.a.length * 2));
      b.set(this.a);
      this.a = b;
    }
    return (this.a[id]! += d);
  }
}

/** The stored left rows: their columns by batch, each row's keys, and per key the rows holding it. */
class LeftStore {
  readonly batches: (readonly Data[] | null)[] = [];
  readonly live: Uint8Array[] = [];
  readonly liveCount: number[] = [];
  /** Per row: its full key id (-1: NULL probe) and its group id (null-aware only). */
  readonly fullIds: Int32Array[] = [];
  readonly groupIds: Int32Array[] = [];
  /** Per row: a stable id, its entry in incremental checkpoints. */
  readonly seqs: Float64Array[] = [];
  readonly byFull = new Map<number, number[]>();
  readonly byGroup = new Map<number, number[]>();
  rows = 0;
  nextSeq = 0;

  constructor(readonly schema: Schema) {}

  addBatch(cols: readonly Data[], n: number): number {
    this.batches.push(cols);
    this.live.push(new Uint8Array(n));
    this.liveCount.push(0);
    this.fullIds.push(new Int32Array(n));
    this.groupIds.push(new Int32Array(n));
    this.seqs.push(new Float64Array(n));
    return this.batches.length - 1;
  }

  /** Stores row `row` of batch b; returns its seq. */
  add(b: number, row: number, full: number, group: number, seq = this.nextSeq): number {
    const ref = b * REF_SPLIT + row;
    this.seqs[b]![row] = seq;
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
    this.live[b]![row] = 1;
    this.liveCount[b]!++;
    this.fullIds[b]![row] = full;
    this.groupIds[b]![row] = group;
    if (full >= 0) push(this.byFull, full, ref);
    if (group >= 0) push(this.byGroup, group, ref);
    this.rows++;
    return seq;
  }

  seq(ref: number): number {
    return this.seqs[Math.floor(ref / REF_SPLIT)]![ref % REF_SPLIT]!;
  }

  remove(ref: number): void {
    const b = Math.floor(ref / REF_SPLIT);
    const row = ref % REF_SPLIT;
    const full = this.fullIds[b]![row]!;
    const group = this.groupIds[b]![row]!;
    if (full >= 0) drop(this.byFull, full, ref);
    if (group >= 0) drop(this.byGroup, group, ref);
    this.live[b]![row] = 0;
    this.rows--;
    if (--this.liveCount[b]! === 0) this.batches[b] = null;
  }

  full(ref: number): number {
    return this.fullIds[Math.floor(ref / REF_SPLIT)]![ref % REF_SPLIT]!;
  }

  values(ref: number): Value[] {
    const cols = this.batches[Math.floor(ref / REF_SPLIT)]!;
    return this.schema.map((c, j) => readValue(cols[j]!, ref % REF_SPLIT, c.type));
  }

  /** The first stored row equal to row i of `cols` among `refs`, or -1. */
  find(refs: readonly number[] | undefined, cols: readonly Data[], i: number): number {
    for (const ref of refs ?? []) {
      const stored = this.batches[Math.floor(ref / REF_SPLIT)]!;
      const row = ref % REF_SPLIT;
      let same = true;
      for (let j = 0; j < this.schema.length && same; j++) {
        const t = this.schema[j]!.type;
        const a = readValue(stored[j]!, row, t);
        const v = readValue(cols[j]!, i, t);
        same = a === v || (Number.isNaN(a) && Number.isNaN(v));
      }
      if (same) return ref;
    }
    return -1;
  }

  appendRow(ref: number, o: OutputBuilder): void {
    const cols = this.batches[Math.floor(ref / REF_SPLIT)]!;
    const row = ref % REF_SPLIT;
    for (let j = 0; j < this.schema.length; j++) o.columns[j]!.appendFrom(cols[j]!, row);
  }
}

function push(m: Map<number, number[]>, k: number, ref: number): void {
  const list = m.get(k);
  if (list) list.push(ref);
  else m.set(k, [ref]);
}

function drop(m: Map<number, number[]>, k: number, ref: number): void {
  const list = m.get(k)!;
  list.splice(list.indexOf(ref), 1);
  if (list.length === 0) m.delete(k);
}

/** Per row of `cols`, 1 when any of `keys` is NULL. */
function nullFlags(cols: readonly Data[], keys: readonly number[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (const k of keys) {
    const c = cols[k]!;
    if (c.nullCount === 0 && c.typeId !== 1) continue;
    for (let i = 0; i < n; i++) if (!isValid(c, i)) out[i] = 1;
  }
  return out;
}

/** A subquery predicate's value for one left row: FALSE, TRUE or NULL (IN only). */
const FALSE = 0;
const TRUE = 1;
const UNKNOWN = 2;
type Mark = 0 | 1 | 2;

/**
 * `x IN (group)` given the group's state: FALSE over an empty group, NULL for a NULL x,
 * TRUE on a match, else NULL when the group holds a NULL (DuckDB's three-valued IN).
 */
function inMark(any: boolean, nulls: boolean, probeNull: boolean, matched: boolean): Mark {
  if (!any) return FALSE;
  if (probeNull) return UNKNOWN;
  if (matched) return TRUE;
  return nulls ? UNKNOWN : FALSE;
}

export class SemiJoinOperator implements Operator {
  /** All key columns (null when there are none: one group). */
  private readonly full: KeyTable | null;
  /** IN semantics: the keys before the probe (null when the probe is the only key). */
  private readonly groups: KeyTable | null;
  private readonly groupKeys: readonly [readonly number[], readonly number[]];
  private readonly probe: readonly [number, number];
  /** Right rows per full key. */
  private readonly count = new Counts();
  /** IN semantics: right rows, and right rows with a NULL probe, per group. */
  private readonly total = new Counts();
  private readonly nulls = new Counts();
  private readonly store: LeftStore;
  private readonly output: OutputBuilder;
  private readonly merger = new WatermarkMerger(2);
  private emitted = -Infinity;
  private readonly timed: boolean;
  private readonly width: number;
  private readonly marking: boolean;
  /** Changes since the last checkpoint (all state is written while `whole`). */
  private whole = true;
  private readonly addedLeft = new Set<number>();
  private readonly removedLeft = new Set<number>();
  private readonly dirtyKeys = new Set<number>();
  private readonly dirtyGroups = new Set<number>();

  constructor(
    private readonly out: Emitter,
    private readonly node: SemiJoinNode,
  ) {
    const types = node.leftKeys.map((k) => node.left.schema[k]!.type);
    this.full = types.length > 0 ? new KeyTable(types) : null;
    const g = node.nullAware ? types.length - 1 : 0;
    this.groups = node.nullAware && g > 0 ? new KeyTable(types.slice(0, g)) : null;
    this.groupKeys = [node.leftKeys.slice(0, g), node.rightKeys.slice(0, g)];
    this.probe = node.nullAware ? [node.leftKeys[g]!, node.rightKeys[g]!] : [-1, -1];
    this.store = new LeftStore(node.left.schema);
    this.output = new OutputBuilder(node.schema);
    this.timed = node.schema.some((c) => c.timeAttr === true);
    this.width = node.left.schema.length;
    this.marking = node.mark !== undefined;
  }

  /** Full key ids (-1 where a key is NULL) and, for IN semantics, group ids (-1: NULL group). */
  private ids(side: 0 | 1, cols: readonly Data[], n: number): { full: Int32Array; group: Int32Array; probeNull: Uint8Array } {
    const keys = side === 0 ? this.node.leftKeys : this.node.rightKeys;
    const full = new Int32Array(n);
    const group = new Int32Array(n);
    let probeNull: Uint8Array = new Uint8Array(n);
    if (this.full) {
      this.full.findOrInsert(keys.map((k) => cols[k]!), n, full);
      const anyNull = nullFlags(cols, keys, n);
      for (let i = 0; i < n; i++) if (anyNull[i]) full[i] = -1;
    }
    if (this.node.nullAware) {
      probeNull = nullFlags(cols, [this.probe[side]], n);
      const gk = this.groupKeys[side];
      if (this.groups) {
        this.groups.findOrInsert(gk.map((k) => cols[k]!), n, group);
        const gNull = nullFlags(cols, gk, n);
        for (let i = 0; i < n; i++) if (gNull[i]) group[i] = -1;
      }
    }
    return { full, group, probeNull };
  }

  /** The predicate's value for a stored row with full key `f` (-1: NULL probe) in group `g`. */
  private markOf(f: number, g: number): Mark {
    const matched = f >= 0 && this.count.at(f) > 0;
    if (!this.node.nullAware) return matched ? TRUE : FALSE;
    return inMark(this.total.at(g) > 0, this.nulls.at(g) > 0, f === -1, matched);
  }

  /** Whether a row with that value is in the output (always, with its value, when marking). */
  private passes(m: Mark): boolean {
    if (this.marking) return true;
    return this.node.anti ? m === FALSE : m === TRUE;
  }

  process(batch: ChangeBatch, input: number): void {
    const n = batch.length;
    if (n === 0) return;
    const cols = columnsOf(batch);
    if (input === 0) this.processLeft(batch, cols, n);
    else this.processRight(batch, cols, n);
    const out = this.output.finish(this.emitted, this.node.appendOnly);
    if (out) this.out.push(out);
  }

  private appendMark(m: Mark): void {
    if (!this.marking) return;
    const c = this.output.columns[this.width]!;
    if (m === UNKNOWN) c.appendNull();
    else c.appendBoolean(m === TRUE);
  }

  private processLeft(batch: ChangeBatch, cols: readonly Data[], n: number): void {
    const { full, group, probeNull } = this.ids(0, cols, n);
    const o = this.output;
    const nullAware = this.node.nullAware;
    const b = this.store.addBatch(cols, n);
    const emitThis = (op: number, i: number, m: Mark) => {
      if (!this.passes(m)) return;
      o.row(op);
      for (let j = 0; j < cols.length; j++) o.columns[j]!.appendFrom(cols[j]!, i);
      this.appendMark(m);
    };
    for (let i = 0; i < n; i++) {
      const retract = batch.ops !== null && isRetraction(batch.ops[i]!);
      // Keys that decide alone: a NULL key (EXISTS) or a NULL group (IN) meets no right row.
      const fixed = nullAware ? group[i] === -1 && this.groups !== null : full[i] === -1;
      if (fixed) {
        emitThis(retract ? OP_DELETE : OP_INSERT, i, FALSE);
        continue;
      }
      const f = nullAware && probeNull[i] ? -1 : full[i]!;
      const g = this.groups ? group[i]! : 0;
      const m = this.markOf(f, g);
      if (!retract) {
        const seq = this.store.add(b, i, f, nullAware ? g : -1);
        if (!this.whole) this.addedLeft.add(seq);
        emitThis(OP_INSERT, i, m);
      } else {
        const ref = this.store.find(nullAware ? this.store.byGroup.get(g) : this.store.byFull.get(f), cols, i);
        if (ref === -1) continue; // retracting a row never seen: nothing to take back
        this.forgetLeft(this.store.seq(ref));
        this.store.remove(ref);
        emitThis(OP_DELETE, i, m);
      }
    }
    if (this.store.liveCount[b] === 0) this.store.batches[b] = null;
  }

  /** Emits what a stored row's change of value from `was` to `is` changes in the output. */
  private changed(ref: number, was: Mark, is: Mark): void {
    if (was === is) return;
    if (this.marking) {
      this.emitStored(OP_UPDATE_BEFORE, ref, was);
      this.emitStored(OP_UPDATE_AFTER, ref, is);
      return;
    }
    const [p0, p1] = [this.passes(was), this.passes(is)];
    if (p0 !== p1) this.emitStored(p1 ? OP_INSERT : OP_DELETE, ref, is);
  }

  private processRight(batch: ChangeBatch, cols: readonly Data[], n: number): void {
    const { full, group, probeNull } = this.ids(1, cols, n);
    const nullAware = this.node.nullAware;
    for (let i = 0; i < n; i++) {
      const d = batch.ops !== null && isRetraction(batch.ops[i]!) ? -1 : 1;
      if (!nullAware) {
        const f = full[i]!;
        if (f === -1) continue;
        const before = this.count.at(f) > 0;
        const after = this.count.add(f, d) > 0;
        if (!this.whole) this.dirtyKeys.add(f);
        // The key's first match came or its last went: its left rows enter or leave.
        if (before === after) continue;
        for (const ref of this.store.byFull.get(f) ?? []) this.changed(ref, before ? TRUE : FALSE, after ? TRUE : FALSE);
        continue;
      }
      const g = this.groups ? group[i]! : 0;
      if (g === -1) continue;
      const f = probeNull[i] ? -1 : full[i]!;
      const any0 = this.total.at(g) > 0;
      const nulls0 = this.nulls.at(g) > 0;
      const matched0 = f >= 0 && this.count.at(f) > 0;
      this.total.add(g, d);
      if (f === -1) this.nulls.add(g, d);
      else this.count.add(f, d);
      if (!this.whole) {
        this.dirtyGroups.add(g);
        if (f >= 0) this.dirtyKeys.add(f);
      }
      const any1 = this.total.at(g) > 0;
      const nulls1 = this.nulls.at(g) > 0;
      const matched1 = f >= 0 && this.count.at(f) > 0;
      if (any0 !== any1 || nulls0 !== nulls1) {
        // The group's emptiness or NULL changed: every row of the group may change value.
        for (const ref of [...(this.store.byGroup.get(g) ?? [])]) {
          const rf = this.store.full(ref);
          const was = inMark(any0, nulls0, rf === -1, rf === f ? matched0 : rf >= 0 && this.count.at(rf) > 0);
          this.changed(ref, was, inMark(any1, nulls1, rf === -1, rf >= 0 && this.count.at(rf) > 0));
        }
      } else if (matched0 !== matched1) {
        const [was, is] = [inMark(any0, nulls0, false, matched0), inMark(any1, nulls1, false, matched1)];
        for (const ref of this.store.byFull.get(f) ?? []) this.changed(ref, was, is);
      }
    }
  }

  private emitStored(op: number, ref: number, m: Mark): void {
    this.output.row(op);
    this.store.appendRow(ref, this.output);
    this.appendMark(m);
  }

  onWatermark(wm: number, input: number): void {
    this.merger.update(input, wm);
    const next = this.outputWatermark();
    if (next > this.emitted) {
      this.emitted = next;
      this.out.watermark(next);
    }
  }

  private outputWatermark(): number {
    const [l, r] = [this.merger.of(0), this.merger.of(1)];
    if (!this.timed) return Math.min(l, r);
    return r === Infinity ? l : -Infinity;
  }

  private forgetLeft(seq: number): void {
    if (this.whole) return;
    // Deleting an entry no checkpoint wrote is harmless.
    this.addedLeft.delete(seq);
    this.removedLeft.add(seq);
  }

  private keyEntry(t: KeyTable | null, prefix: string, id: number): string {
    return `${prefix}${valueJson(t ? t.keyValues(id) : [])}`;
  }

  private countEntry(id: number): [string, unknown] {
    return [this.keyEntry(this.full, 'R:', id), this.count.at(id)];
  }

  private groupEntry(id: number): [string, unknown] {
    return [this.keyEntry(this.groups, 'G:', id), [this.total.at(id), this.nulls.at(id)]];
  }

  /** Every entry: `#meta`, `L:seq` (a left row), `R:key` (a key's right rows), `G:key` (a group's counts). */
  private allEntries(): [string, unknown][] {
    const out: [string, unknown][] = [['#meta', { wm: this.merger.save() }]];
    const store = this.store;
    for (let b = 0; b < store.batches.length; b++) {
      const live = store.live[b]!;
      for (let row = 0; row < live.length; row++) {
        if (live[row]) out.push([`L:${store.seqs[b]![row]!}`, store.values(b * REF_SPLIT + row)]);
      }
    }
    for (let id = 0; id < this.count.a.length; id++) if (this.count.a[id] !== 0) out.push(this.countEntry(id));
    for (let id = 0; id < this.total.a.length; id++) if (this.total.a[id] !== 0) out.push(this.groupEntry(id));
    return out;
  }

  checkpointDelta(): StateDelta {
    const full = this.whole;
    let puts: [string, unknown][];
    const deletes: string[] = [];
    if (full) {
      puts = this.allEntries();
    } else {
      puts = [['#meta', { wm: this.merger.save() }]];
      const store = this.store;
      if (this.addedLeft.size > 0) {
        for (let b = 0; b < store.batches.length; b++) {
          const live = store.live[b]!;
          for (let row = 0; row < live.length; row++) {
            const seq = store.seqs[b]![row]!;
            if (live[row] && this.addedLeft.has(seq)) puts.push([`L:${seq}`, store.values(b * REF_SPLIT + row)]);
          }
        }
      }
      for (const seq of this.removedLeft) deletes.push(`L:${seq}`);
      for (const id of this.dirtyKeys) {
        if (this.count.at(id) !== 0) puts.push(this.countEntry(id));
        else deletes.push(this.countEntry(id)[0]);
      }
      for (const id of this.dirtyGroups) {
        if (this.total.at(id) !== 0) puts.push(this.groupEntry(id));
        else deletes.push(this.groupEntry(id)[0]);
      }
    }
    this.whole = false;
    this.addedLeft.clear();
    this.removedLeft.clear();
    this.dirtyKeys.clear();
    this.dirtyGroups.clear();
    return { full, puts, deletes };
  }

  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    const left: [number, Value[]][] = [];
    for (const [k, v] of entries) {
      if (k === '#meta') {
        this.merger.load((v as { wm: (number | null)[] }).wm);
        this.emitted = this.outputWatermark();
      } else if (k.startsWith('L:')) {
        left.push([Number(k.slice(2)), v as Value[]]);
      } else if (k.startsWith('R:')) {
        const key = parseValueJson(k.slice(2)) as Value[];
        this.count.add(this.full ? this.full.findOrInsertValues(key) : 0, v as number);
      } else if (k.startsWith('G:')) {
        const key = parseValueJson(k.slice(2)) as Value[];
        const g = this.groups ? this.groups.findOrInsertValues(key) : 0;
        const [t, nl] = v as [number, number];
        this.total.add(g, t);
        this.nulls.add(g, nl);
      }
    }
    this.whole = false;
    if (left.length === 0) return;
    left.sort((a, b) => a[0] - b[0]);
    const data = batchFromRows(this.node.left.schema, left.map((r) => r[1]));
    const cols = columnsOf(data);
    const n = left.length;
    const { full, group, probeNull } = this.ids(0, cols, n);
    const b = this.store.addBatch(cols, n);
    const nullAware = this.node.nullAware;
    for (let i = 0; i < n; i++) {
      this.store.add(b, i, nullAware && probeNull[i] ? -1 : full[i]!, nullAware ? (this.groups ? group[i]! : 0) : -1, left[i]![0]);
    }
  }

  snapshot(): unknown {
    return Object.fromEntries(this.allEntries());
  }

  restore(state: unknown): void {
    this.restoreEntries(new Map(Object.entries(state as Record<string, unknown>)));
  }

  stateSize(): number {
    return this.store.rows + (this.full ? this.full.size : 0);
  }

  close(): void {}
}
