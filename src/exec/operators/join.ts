/**
 * Joins of two streams (INNER, LEFT, RIGHT, FULL, CROSS) on equal keys plus a residual
 * condition, over append-only inputs or changelogs. Each side keeps the rows it has seen, as
 * the Arrow columns they arrived in (state is compact and rows are copied to the output
 * without decoding), indexed by key. A row arriving on one side is matched against the other
 * side's rows: +I for each new pair (-D for each pair a retraction removes). An outer side's
 * row without a match is emitted padded with NULLs, and that padded row is retracted (-D)
 * when its first match arrives (and emitted again when its last match goes).
 *
 * SQL semantics: NULL keys never match. A regular join keeps every row; an interval join
 * (a condition bounding the other side's event time, see plan/join-retention.ts) drops a
 * batch of rows once the other side's watermark has passed all their bounds. A stored row
 * meets a new row only while its bound is at or above the watermark that row arrived under,
 * so a late row cannot meet a row that was (or, kept with the rest of its batch, could have
 * been) dropped, whatever the batch size. stateSize() reports the rows held.
 *
 * Once an input has ended (its watermark is +∞: a bounded source at its end), no row can come
 * from it that would meet the other side's rows, so the other side's stored rows are dropped
 * and its new rows only probe: a retraction takes back the pairs its row meets among the
 * ended side's rows (a changelog's retraction follows its insert, so those are the pairs
 * emitted for it). The ended side keeps its rows, so an outer side is still padded and
 * unpadded as its matches come and go. The fact is the input's watermark, which checkpoints
 * keep. A row that still comes on the ended input is late (behind +∞) and, as a late row
 * of an interval join, meets only the other side's rows that come after it: a file that grew
 * after its job stopped is read on after a restart, under the +∞ its pipeline kept.
 *
 * Under EMIT ON WINDOW CLOSE an outer side's rows are not padded on arrival: a row still
 * unmatched when the other side's watermark passes its bound is emitted padded then, once,
 * so the output is append-only (a saga step's timeout: an order no payment met in time).
 *
 * The output watermark is held back so that no row emitted after it has an event-time
 * column below it: a column of side s comes either from a new row of s (at or above s's
 * watermark) or from a stored row met by a new row of the other side o, which the bound
 * `o.t <= s.c + k` keeps at or above o's watermark − k. A column no bound covers has no
 * lower limit while o can still send rows (Flink: an interval join's watermark is the input
 * watermark minus the bound).
 *
 * A batch is joined as a whole: its candidate pairs (row, stored batch and row) go into
 * typed arrays, the residual condition runs once over the columns it reads gathered for
 * every pair, and the output columns are gathered whole (join-gather.ts), in the order the
 * rows were emitted one by one. Only the columns read above the join are output (the plan's
 * JoinNode.output): its keys and condition's columns are stored, not gathered again. An append-only side's batch is stored pending (not indexed
 * by key) while both inputs are open and found by scanning until its scans have cost
 * INDEX_AFTER_SCANS comparisons per row: q7's bids meet one maximum per window, and indexing
 * every bid cost more than the few scans. A single number key is scanned by zones of rows
 * whose least and greatest key rule most of them out (q7's window maximum is above most
 * zones; q20's auction ids are above or below most zones of the bids). A probe batch larger
 * than the other side's pending rows indexes them instead (its keys would cost more).
 */
import type { Data, Schema as ArrowSchema } from 'apache-arrow';
import type { JoinNode } from '../../plan/logical-plan.js';
import type { Schema, Value } from '../../types.js';
import { columnsUsed } from '../../plan/expr.js';
import { changelogRetention } from '../../plan/join-retention.js';
import { joinedSchema } from '../../plan/node-builders.js';
import { arrowSchema, batchFromRows, ColumnBuilder, columnsOf, isRetraction, isValid, OP_DELETE, OP_INSERT, readValue, SCRATCH_ROWS, type ChangeBatch } from '../batch.js';
import { compilePredicate, type CompiledPredicate } from '../expr/compile.js';
import { WatermarkMerger, type Emitter, type Operator, type StateDelta } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { nullColumn } from '../vector/columns.js';
import { KeyTable } from '../vector/key-table.js';
import { ColumnParts, IntVec, JoinRows } from './join-gather.js';
import { RefChains, REF_SPLIT, refRow } from './ref-chains.js';
import { NumberHeap } from '../window/number-heap.js';

/**
 * Rows of one side: their columns by batch, and lists of the rows by key id (typed-array
 * linked lists, see RefChains), so storing a row allocates nothing. A side fed by a
 * changelog also lists its rows by identity (a key table over all columns), so a retraction
 * finds the stored row it takes back without comparing the rows of its key one by one.
 */
class SideStore {
  readonly batches: (readonly Data[] | null)[] = [];
  readonly live: Uint8Array[] = [];
  readonly liveCount: number[] = [];
  /** Match counts of each stored row (outer sides only). */
  readonly matches: Int32Array[] = [];
  /**
   * Stable id of each stored row, for incremental checkpoints: per batch, one per row, or
   * none when they run on from seqBase (a batch stored whole, see addAll).
   */
  private readonly seqs: Float64Array[] = [];
  private readonly seqBase: number[] = [];
  readonly byKey = new RefChains();
  /** Key id of each stored row, per batch (to drop a batch's rows). */
  readonly keyIds: Int32Array[] = [];
  /**
   * Rows by identity: the table of whole rows and its lists, made at a changelog side's first
   * retraction (see trackRows); until then, none (q8's window aggregates never retract).
   */
  private rowTable: KeyTable | null = null;
  private byRow: RefChains | null = null;
  private readonly rowIds: Int32Array[] = [];
  /** Per batch: the other side's watermark past which none of its rows can match (interval joins). */
  readonly until: number[] = [];
  /** Per batch and row: the other side's watermark past which that row can match nothing. */
  readonly rowUntil: (Float64Array | null)[] = [];
  /**
   * Per batch: the least of its rows' bounds, so a probe under a watermark at or below it
   * meets every row of the batch without reading their bounds one by one.
   */
  readonly untilLeast: number[] = [];
  /** Per column: its batches as the output gather reads them. */
  readonly parts: ColumnParts[];
  /** Batches that still hold rows and may be dropped by a watermark. */
  openBatches: number[] = [];
  rows = 0;
  nextSeq = 0;
  /**
   * Batches from `indexed` on are pending: stored but not linked by key, found by scanning
   * them (see JoinOperator.pendingMatches). The batches before it are the indexed ones, so
   * a key's rows in chain order, then its pending rows in batch order, are in arrival order.
   */
  indexed = 0;
  /** Per batch: how many probes scanned it while pending. */
  readonly scans: number[] = [];
  /**
   * Per pending batch of a single number key: the least and greatest key of each ZONE rows
   * (null: not yet read), so a probe skips the zones its values lie outside of.
   */
  private readonly zones: (Float64Array | null)[] = [];

  constructor(
    readonly schema: Schema,
    private readonly retracts: boolean,
    /** Pads its unmatched rows (counts each row's matches). */
    private readonly outer: boolean,
    /** May leave batches pending (an append-only side of an equi-join). */
    readonly lazy: boolean,
    private readonly keyCols: readonly number[],
    private readonly keys: KeyTable | null,
  ) {
    this.parts = schema.map((c) => new ColumnParts(c.type));
  }

  /** Stores a batch (its rows come with add), pending or indexed; indexing it indexes every pending batch first. */
  addBatch(cols: readonly Data[], n: number, rowUntil: Float64Array | null, pending = false): number {
    if (!pending) this.indexAll();
    let until = rowUntil === null ? Infinity : -Infinity;
    let least = Infinity;
    if (rowUntil !== null) {
      for (let i = 0; i < n; i++) {
        const u = rowUntil[i]!;
        if (u > until) until = u;
        if (u < least) least = u;
      }
    }
    this.rowUntil.push(rowUntil);
    this.untilLeast.push(least);
    this.batches.push(cols);
    for (let j = 0; j < this.parts.length; j++) this.parts[j]!.push(cols[j]!, n);
    this.live.push(new Uint8Array(n));
    this.liveCount.push(0);
    this.matches.push(this.outer ? new Int32Array(n) : NO_I32);
    this.seqs.push(NO_F64);
    this.seqBase.push(0);
    // A pending batch's key ids and links are made when it is indexed.
    this.keyIds.push(pending ? NO_I32 : new Int32Array(n));
    this.rowIds.push(this.byRow ? new Int32Array(n) : NO_I32);
    this.byKey.addBatch(pending ? 0 : n);
    this.byRow?.addBatch(n);
    this.until.push(until);
    this.scans.push(0);
    this.zones.push(null);
    const b = this.batches.length - 1;
    if (!pending) this.indexed = b + 1;
    if (until !== Infinity) this.openBatches.push(b);
    return b;
  }

  /**
   * Lists the stored rows by identity from now on (call before a batch with a retraction is
   * stored): a changelog side's live rows, in arrival order as if listed as they came.
   * Without columns there is no identity (the rows of a key are compared, see findStored).
   */
  trackRows(): void {
    if (!this.retracts || this.schema.length === 0 || this.rowTable !== null) return;
    const table = (this.rowTable = new KeyTable(this.schema.map((c) => c.type)));
    const chains = (this.byRow = new RefChains());
    for (let b = 0; b < this.batches.length; b++) {
      const cols = this.batches[b];
      if (cols === null || this.liveCount[b] === 0) {
        chains.addBatch(0);
        continue;
      }
      const live = this.live[b]!;
      const n = live.length;
      const ids = (this.rowIds[b] = new Int32Array(n));
      table.findOrInsert(cols, n, ids);
      chains.addBatch(n);
      for (let row = 0; row < n; row++) if (live[row] === 1) chains.link(ids[row]!, b * REF_SPLIT + row);
    }
    // The identities only rows gone before had.
    for (let id = 0; id < table.capacity; id++) if (table.has(id) && chains.countOf(id) === 0) table.remove(id);
  }

  /** The ids of rows 0..n-1 of `cols` as whole rows (inserting new ones); null while rows are not tracked. */
  rowIdsOf(cols: readonly Data[], n: number): Int32Array | null {
    if (!this.rowTable) return null;
    const ids = new Int32Array(n);
    this.rowTable.findOrInsert(cols, n, ids);
    return ids;
  }

  /** A stored row equal to the row with identity `rowId`, or -1. */
  findRow(rowId: number): number {
    return this.byRow ? this.byRow.first(rowId) : -1;
  }

  /** Frees the row identity if no stored row has it (call once its batch is processed). */
  releaseRow(rowId: number): void {
    if (this.rowTable && this.byRow!.countOf(rowId) === 0) this.rowTable.remove(rowId);
  }

  /**
   * Drops every live row of batch b; calls `gone` with each before it goes. Returns the key
   * ids of the batch's rows (repeated, and of rows gone before: a caller frees those no row holds).
   */
  dropBatch(b: number, gone: ((ref: number) => void) | null): Int32Array {
    const live = this.live[b]!;
    const ids = b < this.indexed ? this.keyIds[b]! : NO_I32;
    // A pending batch's rows are in no list (q7's bids): nothing to unlink or tell a row at a time.
    if (gone === null && b >= this.indexed && this.byRow === null) {
      this.rows -= this.liveCount[b]!;
    } else this.unlinkBatch(b, live, gone);
    this.liveCount[b] = 0;
    this.free(b);
    return ids;
  }

  /** Unlinks batch b's live rows (telling `gone` of each). A method that ends at its loop: compiled on stack replacement inside dropBatch, the code after it deoptimized it on every call. */
  private unlinkBatch(b: number, live: Uint8Array, gone: ((ref: number) => void) | null): void {
    for (let row = 0; row < live.length; row++) {
      if (live[row] === 0) continue;
      const ref = b * REF_SPLIT + row;
      gone?.(ref);
      this.unlinkRow(b, row, ref);
      live[row] = 0;
      this.rows--;
    }
  }

  private unlinkRow(b: number, row: number, ref: number): void {
    if (b < this.indexed) this.byKey.unlink(this.keyIds[b]![row]!, ref);
    if (this.byRow) {
      const id = this.rowIds[b]![row]!;
      this.byRow.unlink(id, ref);
      this.releaseRow(id);
    }
  }

  private free(b: number): void {
    this.batches[b] = null;
    for (const p of this.parts) p.free(b);
    this.rowUntil[b] = null;
    // Per-row arrays too: on an endless stream they would grow with every row ever seen.
    this.live[b] = NO_U8;
    this.matches[b] = NO_I32;
    this.seqs[b] = NO_F64;
    this.keyIds[b] = NO_I32;
    this.rowIds[b] = NO_I32;
    this.zones[b] = null;
    this.byKey.freeBatch(b);
    this.byRow?.freeBatch(b);
  }

  add(keyId: number, b: number, row: number, seq?: number, rowId?: number): number {
    const ref = b * REF_SPLIT + row;
    this.live[b]![row] = 1;
    this.liveCount[b]!++;
    if (this.seqs[b]!.length === 0) this.seqs[b] = new Float64Array(this.live[b]!.length);
    this.seqs[b]![row] = seq ?? this.nextSeq++;
    if (seq !== undefined && seq >= this.nextSeq) this.nextSeq = seq + 1;
    if (b < this.indexed) {
      this.keyIds[b]![row] = keyId;
      this.byKey.link(keyId, ref);
    }
    if (this.byRow) {
      this.rowIds[b]![row] = rowId!;
      this.byRow.link(rowId!, ref);
    }
    this.rows++;
    return ref;
  }

  /** add() for every row of batch b (n rows) at once: a side that keeps no row identities. */
  addAll(b: number, n: number, ids: Int32Array, nullKey: Uint8Array): void {
    const live = this.live[b]!;
    live.fill(1, 0, n);
    this.liveCount[b]! += n;
    this.seqBase[b] = this.nextSeq;
    this.nextSeq += n;
    if (b < this.indexed) {
      const keyIds = this.keyIds[b]!;
      for (let row = 0; row < n; row++) {
        const keyId = nullKey[row] ? -1 : ids[row]!;
        keyIds[row] = keyId;
        this.byKey.link(keyId, b * REF_SPLIT + row);
      }
    }
    this.rows += n;
  }

  remove(ref: number): void {
    const b = Math.floor(ref / REF_SPLIT);
    const row = refRow(ref);
    if (b < this.indexed) this.byKey.unlink(this.keyIds[b]![row]!, ref);
    // The row identity is released by the caller once the batch is done (its ids stay valid).
    if (this.byRow) this.byRow.unlink(this.rowIds[b]![row]!, ref);
    this.live[b]![row] = 0;
    this.rows--;
    // A batch whose rows are all gone is let go, unless it is the batch being taken in: a
    // later row of it may still be stored.
    if (--this.liveCount[b]! === 0 && b < this.batches.length - 1) this.free(b);
  }

  /** True when some stored batch is pending. */
  get hasPending(): boolean {
    return this.indexed < this.batches.length;
  }

  /** Live rows of the pending batches. */
  pendingRows(): number {
    let n = 0;
    for (let b = this.indexed; b < this.batches.length; b++) n += this.liveCount[b]!;
    return n;
  }

  /** The key columns of batch b. */
  keyColumnsOf(b: number): readonly Data[] {
    const cols = this.batches[b]!;
    return this.keyCols.map((k) => cols[k]!);
  }

  /**
   * The zones of pending batch b, whose number key column is `c` (n rows): per ZONE rows
   * [least, greatest] key, read at the first probe. NULL slots and dead rows only widen a
   * zone; NaN keys lie in none (a NaN probe scans every zone).
   */
  zonesOf(b: number, c: Data, n: number): Float64Array {
    let z = this.zones[b];
    if (z) return z;
    const v = c.values as Float64Array | Int32Array;
    z = this.zones[b] = new Float64Array(2 * Math.ceil(n / ZONE));
    for (let at = 0, k = 0; at < n; at += ZONE, k += 2) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = at, end = Math.min(n, at + ZONE); r < end; r++) {
        const x = v[r]!;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      z[k] = lo;
      z[k + 1] = hi;
    }
    // Reading the zones costs about one scan.
    this.scans[b]!++;
    return z;
  }

  /** Links the live rows of the oldest pending batch by key. */
  indexNext(): void {
    const b = this.indexed++;
    this.zones[b] = null;
    if (this.batches[b] === null || this.liveCount[b] === 0) return;
    const live = this.live[b]!;
    const n = live.length;
    const keyCols = this.keyColumnsOf(b);
    const ids = (this.keyIds[b] = new Int32Array(n));
    this.byKey.sizeBatch(b, n);
    this.keys!.findOrInsert(keyCols, n, ids);
    for (const c of keyCols) {
      if (c.nullCount === 0) continue;
      for (let i = 0; i < n; i++) if (!isValid(c, i)) ids[i] = -1;
    }
    for (let row = 0; row < n; row++) if (live[row] === 1) this.byKey.link(ids[row]!, b * REF_SPLIT + row);
  }

  indexAll(): void {
    while (this.indexed < this.batches.length) this.indexNext();
  }

  /** Every live row, in batch order. */
  refs(): number[] {
    const out: number[] = [];
    for (let b = 0; b < this.live.length; b++) {
      if (this.liveCount[b] === 0) continue;
      const live = this.live[b]!;
      for (let row = 0; row < live.length; row++) if (live[row] === 1) out.push(b * REF_SPLIT + row);
    }
    return out;
  }

  value(ref: number, j: number): Value {
    const cols = this.batches[Math.floor(ref / REF_SPLIT)]!;
    return readValue(cols[j]!, refRow(ref), this.schema[j]!.type);
  }

  values(ref: number): Value[] {
    return this.schema.map((_, j) => this.value(ref, j));
  }

  /** Appends the row's columns to builders[from…] (a null builder: a column not wanted). */
  appendRow(ref: number, builders: readonly (ColumnBuilder | null)[], from: number): void {
    const cols = this.batches[Math.floor(ref / REF_SPLIT)]!;
    const row = refRow(ref);
    for (let j = 0; j < this.schema.length; j++) builders[from + j]?.appendFrom(cols[j]!, row);
  }

  matchCount(ref: number): number {
    const m = this.matches[Math.floor(ref / REF_SPLIT)]!;
    return m.length > 0 ? m[refRow(ref)]! : 0;
  }

  addMatches(ref: number, d: number): number {
    const m = this.matches[Math.floor(ref / REF_SPLIT)]!;
    return (m[refRow(ref)]! += d);
  }

  seq(ref: number): number {
    const b = Math.floor(ref / REF_SPLIT);
    const seqs = this.seqs[b]!;
    return seqs.length > 0 ? seqs[refRow(ref)]! : this.seqBase[b]! + refRow(ref);
  }

  /** The other side's watermark past which the row can match nothing (Infinity: unbounded). */
  untilOf(ref: number): number {
    const u = this.rowUntil[Math.floor(ref / REF_SPLIT)];
    return u ? u[refRow(ref)]! : Infinity;
  }

  isLive(ref: number): boolean {
    const live = this.live[Math.floor(ref / REF_SPLIT)];
    return live !== undefined && live[refRow(ref)] === 1;
  }
}

const NO_U8 = new Uint8Array(0);
const NO_I32 = new Int32Array(0);
const NO_F64 = new Float64Array(0);

/**
 * The scanning cost a pending batch may take before it is indexed, in comparisons per row
 * (about what indexing a row costs over scanning it once).
 */
const INDEX_AFTER_SCANS = 32;
/** The cost of scanning a pending batch by hash lookups, in the same units. */
const FIND_SCAN_COST = 16;
/**
 * What visiting a pending batch costs whatever its rows, in comparisons (spread over its
 * rows): many small batches (a self-join's runs, co-fed.ts) are indexed after a few visits.
 */
const VISIT_COST = 64;

/** Rows of a pending batch per zone of its key range (see SideStore.zonesOf). */
const ZONE = 256;
/** Probe values up to which a pending batch's zones are scanned comparing each row with each. */
const FEW_PROBES = 8;
/** Probe values within a zone's key range beyond which bisecting them costs more than a hash lookup. */
const WIDE_ZONE = 64;

/** The first q in [from, to) with keys[q] >= x (keys ascending; `to` when none; NaN x: `from`). */
function lowerBound(keys: Float64Array, from: number, to: number, x: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The live, non-NULL rows in [from, end) whose number key v[r] is y (not NaN), as group 0 of batch b. */
function scanOne(v: Float64Array | Int32Array, bm: Uint8Array | null, live: Uint8Array, y: number, from: number, end: number, group: IntVec, part: IntVec, row: IntVec, b: number): void {
  for (let r = from; r < end; r++) {
    if (v[r] !== y || live[r] === 0 || (bm !== null && ((bm[r >> 3]! >> (r & 7)) & 1) === 0)) continue;
    group.push(0);
    part.push(b);
    row.push(r);
  }
}

/** True once the other side's watermark `wm` rules out every match of a row bounded by `until`. */
function expired(until: number, wm: number): boolean {
  return until < wm || wm === Infinity;
}

/** A side's last stored batch: where its rows came from and the watermarks they arrived under. */
interface RecentBatch {
  readonly part: number;
  readonly source: string;
  readonly offsets: Float64Array;
  readonly wm: Float64Array | null;
  readonly wmConst: number;
}

/** An output event-time column: its side, its column there, and the tightest bound offset on it (undefined: none). */
interface TimeColumn {
  readonly side: 0 | 1;
  readonly offset: number | undefined;
}

/** Stands for a pair column the residual condition never reads. */
const UNREAD = nullColumn(0);


export class JoinOperator implements Operator {
  private readonly keys: KeyTable | null;
  private readonly sides: [SideStore, SideStore];
  private readonly outer: [boolean, boolean];
  private readonly residual: CompiledPredicate | null;
  /** Pair columns (left then right) the residual condition reads. */
  private readonly residualReads: ReadonlySet<number>;
  private readonly output: OutputBuilder;
  /** The columns of left ++ right it outputs, in order (see JoinNode.output). */
  private readonly picked: readonly number[];
  /** Per side, per column of its rows: the output column it fills when padded (null: not output). */
  private readonly padTargets: [(ColumnBuilder | null)[], (ColumnBuilder | null)[]];
  private readonly merger = new WatermarkMerger(2);
  /** The last watermark sent downstream (output rows are stamped with it). */
  private emitted = -Infinity;
  private readonly timeColumns: readonly TimeColumn[];
  /** Outer sides padded once, when final (EMIT ON WINDOW CLOSE). */
  private readonly deferred: [boolean, boolean];
  /** Per deferred side: its rows not yet final, by bound (row refs). */
  private readonly pending: [NumberHeap, NumberHeap] = [new NumberHeap(), new NumberHeap()];
  /** Changes since the last checkpoint: stored rows added (by seq) or removed, per side. */
  private readonly added: [Set<number>, Set<number>] = [new Set(), new Set()];
  private readonly removed: [Set<number>, Set<number>] = [new Set(), new Set()];
  private full = true;
  /** Scratch for one batch: candidate pairs (this batch's row, the other side's batch and row) and output rows. */
  private readonly pairRow = new IntVec(SCRATCH_ROWS);
  private readonly pairPart = new IntVec(SCRATCH_ROWS);
  private readonly pairAt = new IntVec(SCRATCH_ROWS);
  private zeros = new Int32Array(SCRATCH_ROWS);
  /** Scratch of candidates: per probe row, the first and last stored row of its key. */
  private heads = new Float64Array(SCRATCH_ROWS);
  private tails = new Float64Array(SCRATCH_ROWS);
  /** Scratch of evaluate: which candidate pairs of the batch satisfy the condition. */
  private okScratch = new Uint8Array(SCRATCH_ROWS);
  /** Scratch of keyIds: a batch's key ids and NULL-key flags. */
  private idScratch = new Int32Array(SCRATCH_ROWS);
  private nullScratch = new Uint8Array(SCRATCH_ROWS);
  /** Scratch of pendingMatches: probe key id → its group + 1 (0: not probed), and the matches found. */
  private mark = new Int32Array(0);
  private readonly pendingGroup = new IntVec();
  private readonly pendingPart = new IntVec();
  private readonly pendingRow = new IntVec();
  private bucketStart = new Int32Array(0);
  private bucketFill = new Int32Array(0);
  private sortedPart = new Int32Array(0);
  private sortedRow = new Int32Array(0);
  private scanIds = new Int32Array(0);
  /** The probe batch's key columns (set by process for candidates), and its distinct number keys (pendingMatches). */
  private probeKeys: readonly Data[] = [];
  private probeValues = new Float64Array(SCRATCH_ROWS);
  /** Scratch of pendingMatches: many probe values in order, and the group of each. */
  private sortedKeys = new Float64Array(SCRATCH_ROWS);
  private sortedGroups = new Int32Array(SCRATCH_ROWS);
  private readonly rows = new JoinRows();
  /** Per side: the batch being processed, as part 0 of its columns. */
  private readonly current: [ColumnParts[], ColumnParts[]];
  private readonly arrow: ArrowSchema;
  /** The plan's bounds, or those a changelog input on time allows (see changelogRetention). */
  private readonly retention: JoinNode['retention'];

  constructor(
    private readonly out: Emitter,
    private readonly node: JoinNode,
    private readonly params: readonly Value[] = [],
  ) {
    this.keys = node.leftKeys.length > 0 ? new KeyTable(node.leftKeys.map((k) => node.left.schema[k]!.type)) : null;
    const planned = node.retention[0].length + node.retention[1].length > 0;
    this.retention = planned ? node.retention : changelogRetention(node);
    this.outer = [node.joinType === 'LEFT' || node.joinType === 'FULL', node.joinType === 'RIGHT' || node.joinType === 'FULL'];
    this.sides = [this.newSide(0), this.newSide(1)];
    this.residual = node.condition ? compilePredicate(node.condition) : null;
    this.residualReads = node.condition ? columnsUsed(node.condition) : new Set();
    const leftWidth = node.left.schema.length;
    const joined = joinedSchema(node.joinType, node.left.schema, node.right.schema);
    this.picked = node.output ?? joined.map((_, j) => j);
    this.output = new OutputBuilder(node.schema);
    this.arrow = arrowSchema(node.schema);
    this.padTargets = [0, 1].map((side) => {
      const from = side === 0 ? 0 : leftWidth;
      const store = this.sides[side]!;
      return store.schema.map((_, c) => {
        const k = this.picked.indexOf(from + c);
        return k < 0 ? null : this.output.columns[k]!;
      });
    }) as JoinOperator['padTargets'];
    const currentOf = (schema: Schema) => schema.map((c) => {
      const parts = new ColumnParts(c.type);
      parts.push(UNREAD, 0);
      return parts;
    });
    this.current = [currentOf(node.left.schema), currentOf(node.right.schema)];
    const closing = node.emit === 'ON_WINDOW_CLOSE';
    this.deferred = [closing && this.outer[0], closing && this.outer[1]];
    // Over every column, output or not: the watermark is as if all were (a Project above dropped them before).
    this.timeColumns = joined.flatMap((c, i): TimeColumn[] => {
      if (c.timeAttr !== true) return [];
      const side = i < leftWidth ? 0 : 1;
      const column = side === 0 ? i : i - leftWidth;
      const offsets = this.retention[side].filter((b) => b.column === column).map((b) => b.offsetMs);
      return [{ side, offset: offsets.length ? Math.min(...offsets) : undefined }];
    });
  }

  /**
   * Per side: the batch it stored last, with its rows' source offsets and arrival
   * watermarks, while it came with an origin (see candidates).
   */
  private readonly recent: (RecentBatch | null)[] = [null, null];

  private newSide(side: 0 | 1): SideStore {
    const input = side === 0 ? this.node.left : this.node.right;
    const keyCols = side === 0 ? this.node.leftKeys : this.node.rightKeys;
    return new SideStore(input.schema, !input.appendOnly, this.outer[side], input.appendOnly && this.keys !== null, keyCols, this.keys);
  }

  /** Key ids of the rows; with `insert` false, unknown keys are -1 (rows that are not stored). */
  private keyIds(side: 0 | 1, cols: readonly Data[], n: number, insert = true): { ids: Int32Array; nullKey: Uint8Array } {
    const keyCols = (side === 0 ? this.node.leftKeys : this.node.rightKeys).map((k) => cols[k]!);
    // Scratch reused by every batch (a batch's ids are copied where they are kept).
    if (this.idScratch.length < n) {
      this.idScratch = new Int32Array(Math.max(n, 2 * this.idScratch.length));
      this.nullScratch = new Uint8Array(this.idScratch.length);
    }
    const ids = this.idScratch.subarray(0, n);
    const nullKey = this.nullScratch.subarray(0, n).fill(0);
    if (this.keys) {
      if (insert) this.keys.findOrInsert(keyCols, n, ids);
      else this.keys.find(keyCols, n, ids);
      for (const c of keyCols) {
        if (c.nullCount === 0) continue;
        for (let i = 0; i < n; i++) if (!isValid(c, i)) nullKey[i] = 1;
      }
    }
    return { ids, nullKey };
  }

  process(batch: ChangeBatch, input: number): void {
    const n = batch.length;
    if (n === 0) return;
    const side = input as 0 | 1;
    const other = (1 - side) as 0 | 1;
    const mine = this.sides[side];
    const theirs = this.sides[other];
    const cols = columnsOf(batch);
    // Once the other input has ended, this batch's rows can meet no future row: they only probe.
    const keep = this.merger.of(other) !== Infinity;
    // An append-only side's batch is stored pending while both inputs are open.
    const pendingStore = keep && mine.lazy && this.merger.of(side) !== Infinity;
    // Probe keys must be in the table to find the other side's pending rows by id; a pending
    // batch holds no key, nor does a batch that only probes: the keys it made are let go after.
    // Buy: a batch with more rows than those pending would pay more to insert its keys than
    // indexing them costs (q20: a batch of bids after a batch of auctions).
    if ((pendingStore || !keep) && theirs.hasPending && n >= theirs.pendingRows()) theirs.indexAll();
    const insert = theirs.hasPending || (keep && !pendingStore);
    const { ids, nullKey } = this.keyIds(side, cols, n, insert);
    const created = insert && (pendingStore || !keep) ? this.keys!.created.slice() : null;
    const current = this.current[side];
    for (let j = 0; j < current.length; j++) current[j]!.set(0, cols[j]!, n);

    this.probeKeys = (side === 0 ? this.node.leftKeys : this.node.rightKeys).map((k) => cols[k]!);
    const bounds = this.rowBounds(side, cols, n);
    const m = this.candidates(batch, side, ids, nullKey, bounds);
    this.probeKeys = [];
    const pairRow = this.pairRow.a;
    const pairPart = this.pairPart.a;
    const pairAt = this.pairAt.a;
    const matched = this.evaluate(side, m);

    const ops = batch.ops;
    let retracting = false;
    if (ops !== null) for (let i = 0; i < n && !retracting; i++) retracting = isRetraction(ops[i]!);
    if (keep && retracting) mine.trackRows();
    const b = keep ? mine.addBatch(cols, n, bounds, pendingStore) : -1;
    this.recent[side] = keep && batch.origin !== null ? { part: b, offsets: batch.origin.offsets, source: batch.origin.source, wm: batch.wm, wmConst: batch.wmConst } : null;
    const out = this.rows;
    const outerMine = this.outer[side];
    const outerOther = this.outer[other];
    const deferOther = this.deferred[other];
    const emptied: number[] = [];
    const rowIds = keep ? mine.rowIdsOf(cols, n) : null;
    // Inserts only, no padding or row identities to track: the rows are stored and the pairs
    // emitted in bulk, in the order the loop below would (pairs are in row order).
    const bulk = !retracting && !outerMine && !outerOther && !this.deferred[side] && rowIds === null;
    if (bulk) {
      if (keep) {
        mine.addAll(b, n, ids, nullKey);
        if (!this.full) for (let i = 0; i < n; i++) this.added[side].add(mine.seq(b * REF_SPLIT + i));
      }
      out.addMatched(OP_INSERT, matched, pairRow, pairPart, pairAt, m);
    }
    let p = bulk ? m : 0;
    for (let i = bulk ? n : 0; i < n; i++) {
      const retract = ops !== null && isRetraction(ops[i]!);
      const pairsStart = p;
      while (p < m && pairRow[p] === i) p++;
      let count = 0;
      for (let q = pairsStart; q < p; q++) count += matched[q]!;
      if (!retract) {
        const ref = keep ? mine.add(nullKey[i] ? -1 : ids[i]!, b, i, undefined, rowIds?.[i]) : -1;
        if (keep && !this.full) this.added[side].add(mine.seq(ref));
        if (keep && outerMine) mine.addMatches(ref, count);
        for (let q = pairsStart; q < p; q++) {
          if (!matched[q]) continue;
          if (outerOther) {
            const r = pairPart[q]! * REF_SPLIT + pairAt[q]!;
            if (theirs.addMatches(r, 1) === 1) {
              if (!deferOther) out.add(OP_DELETE, -1, pairPart[q]!, pairAt[q]!);
              this.touch(other, r);
            }
          }
          out.add(OP_INSERT, i, pairPart[q]!, pairAt[q]!);
        }
        if (this.deferred[side] && keep) {
          // A row the other side's watermark has already passed is final as it arrives.
          if (count === 0 && expired(mine.untilOf(ref), this.merger.of(other))) out.add(OP_INSERT, i, -1, 0);
          else if (count === 0) this.pending[side].push(mine.untilOf(ref), ref);
        } else if (outerMine && count === 0) out.add(OP_INSERT, i, -1, 0);
      } else {
        const stored = !keep ? -1 : rowIds ? mine.findRow(rowIds[i]!) : this.findStored(mine, nullKey[i] ? -1 : ids[i]!, cols, i);
        if (stored === -1 && keep) {
          // Retracting a row never seen: nothing to take back.
          if (!nullKey[i]) emptied.push(ids[i]!);
          continue;
        }
        for (let q = pairsStart; q < p; q++) {
          if (!matched[q]) continue;
          out.add(OP_DELETE, i, pairPart[q]!, pairAt[q]!);
          if (outerOther) {
            const r = pairPart[q]! * REF_SPLIT + pairAt[q]!;
            if (theirs.addMatches(r, -1) === 0) {
              out.add(OP_INSERT, -1, pairPart[q]!, pairAt[q]!);
              this.touch(other, r);
            }
          }
        }
        if (outerMine && count === 0) out.add(OP_DELETE, i, -1, 0);
        if (!keep) continue;
        this.forget(side, stored);
        mine.remove(stored);
        if (!nullKey[i]) emptied.push(ids[i]!);
      }
    }
    // Built before any of the other side's batches can go (a retraction frees only this side's).
    const built = out.build(current, theirs.parts, side === 0, this.picked, this.sides[0].schema.length, this.arrow, this.emitted, this.node.appendOnly, cols, this.rowWatermarks(batch, side));
    // Only now: this batch's ids stay valid while it is processed.
    this.releaseKeys(emptied);
    if (created) this.releaseKeys(created);
    if (rowIds) for (let i = 0; i < n; i++) mine.releaseRow(rowIds[i]!);
    for (let j = 0; j < current.length; j++) current[j]!.free(0);
    if (built) this.out.push(built);
  }

  /**
   * Every candidate pair (row of this batch, stored row of the other side), in row order and
   * for each row in arrival order of the stored rows, into pairRow / pairPart / pairAt (the
   * stored row as batch and row); returns the count.
   */
  private candidates(batch: ChangeBatch, side: 0 | 1, ids: Int32Array, nullKey: Uint8Array, probeUntil: Float64Array | null): number {
    const other = (1 - side) as 0 | 1;
    const theirs = this.sides[other];
    const chains = theirs.byKey;
    const rows = this.pairRow;
    const parts = this.pairPart;
    const at = this.pairAt;
    rows.length = parts.length = at.length = 0;
    const bounded = this.retention[other].length > 0;
    const n = batch.length;
    const pending = this.pendingMatches(theirs, ids, nullKey, n, this.probeKeys);
    const mark = this.mark;
    const bucket = this.bucketStart;
    const pPart = this.pendingPart.a;
    const pRow = this.pendingRow.a;
    const untils = theirs.rowUntil;
    const least = theirs.untilLeast;
    const wms = batch.wm;
    const wmConst = batch.wmConst;
    if (this.heads.length < n) {
      this.heads = new Float64Array(Math.max(n, 2 * this.heads.length));
      this.tails = new Float64Array(this.heads.length);
    }
    const heads = this.heads;
    const tails = this.tails;
    chains.endsOf(ids, nullKey, n, heads, tails);
    // The pairs are written straight into the vectors' arrays, grown when full; their bounds
    // are checked after, in a pass of their own (see below).
    let len = 0;
    let rowA = rows.a;
    let partA = parts.a;
    let atA = at.a;
    for (let i = 0; i < n; i++) {
      let ref = heads[i]!;
      const id = ids[i]!;
      // Id -1 without a NULL key: a key no stored row has (probe-only rows are not looked up by insertion).
      const slot = pending && nullKey[i] === 0 && id >= 0 ? mark[id]! - 1 : -1;
      const found = slot < 0 ? 0 : bucket[slot + 1]! - bucket[slot]!;
      if (ref === -1 && found === 0) continue;
      // A key's newest row ends its list: a one-row list (q4's auction) needs no next pointer.
      const last = tails[i]!;
      while (ref !== -1) {
        const part = Math.floor(ref / REF_SPLIT);
        if (len === rowA.length) {
          rows.length = parts.length = at.length = len;
          for (const v of [rows, parts, at]) v.reserve(1);
          rowA = rows.a;
          partA = parts.a;
          atA = at.a;
        }
        rowA[len] = i;
        partA[len] = part;
        atA[len++] = ref - part * REF_SPLIT;
        ref = ref === last ? -1 : chains.nextOf(ref);
      }
      if (slot < 0) continue;
      if (len + found > rowA.length) {
        rows.length = parts.length = at.length = len;
        for (const v of [rows, parts, at]) v.reserve(found);
        rowA = rows.a;
        partA = parts.a;
        atA = at.a;
      }
      for (let q = bucket[slot]!; q < bucket[slot + 1]!; q++) {
        rowA[len] = i;
        partA[len] = pPart[q]!;
        atA[len++] = pRow[q]!;
      }
    }
    // A stored row meets the probe row only while its bound is at or above the watermark the
    // probe row arrived under. A stored batch whose least bound is at or above it has every
    // row met without reading their bounds; the others' are read here, in a tight loop
    // whose loads overlap.
    //
    // The rows of one source batch reach both inputs of a self-join in turn (co-fed.ts): the
    // other side's last batch may hold rows that come after this one in the source. Rows one
    // at a time, such a row would have come second and met this one stored: the pair is
    // decided by this row's bound against the watermark that row arrived under.
    const r = this.recent[other];
    const origin = batch.origin;
    const swap = r !== null && origin !== null && r.source === origin.source && (bounded || probeUntil !== null) ? r : null;
    if (bounded || swap !== null) {
      let kept = 0;
      for (let k = 0; k < len; k++) {
        const i = rowA[k]!;
        const part = partA[k]!;
        const row = atA[k]!;
        const wm = wms === null ? wmConst : wms[i]!;
        if (swap !== null && part === swap.part && swap.offsets[row]! > origin!.offsets[i]!) {
          const later = swap.wm === null ? swap.wmConst : swap.wm[row]!;
          if (expired(probeUntil === null ? Infinity : probeUntil[i]!, later)) continue;
        } else if (bounded && !(least[part]! >= wm && wm !== Infinity)) {
          const u = untils[part];
          if (expired(u ? u[row]! : Infinity, wm)) continue;
        }
        rowA[kept] = i;
        partA[kept] = part;
        atA[kept++] = row;
      }
      len = kept;
    }
    rows.length = parts.length = at.length = len;
    if (pending) for (let i = 0; i < n; i++) if (ids[i]! >= 0) mark[ids[i]!] = 0;
    return len;
  }

  /**
   * Finds the rows of the other side's pending batches whose key a row of this batch has.
   * Returns false when there are none to scan; else the matches are in pendingPart /
   * pendingRow, grouped by probe key (mark[id] - 1 is a key's group; its rows lie at
   * bucketStart[g] .. bucketStart[g + 1]), each group in arrival order, and mark is left
   * set for the caller to clear.
   *
   * A pending batch is scanned (its keys looked up, not inserted) by every probing batch:
   * cheap while the probes are few (q7's bids meet one maximum per window). Once its scans
   * have cost INDEX_AFTER_SCANS comparisons per row (a hash lookup of each row counts
   * FIND_SCAN_COST) it is indexed, so a side probed often soon costs what indexing every
   * row on arrival cost (rent or buy).
   */
  private pendingMatches(theirs: SideStore, ids: Int32Array, nullKey: Uint8Array, n: number, probeKeys: readonly Data[]): boolean {
    if (!theirs.hasPending) return false;
    while (theirs.hasPending && theirs.scans[theirs.indexed]! >= INDEX_AFTER_SCANS) theirs.indexNext();
    if (!theirs.hasPending) return false;
    const keys = this.keys!;
    if (this.mark.length < keys.capacity) {
      const grown = new Int32Array(Math.max(keys.capacity, this.mark.length * 2));
      grown.set(this.mark);
      this.mark = grown;
    }
    const mark = this.mark;
    let groups = 0;
    // A single number key probed by few rows is compared as numbers (KeyTable's equality: -0
    // is 0, NaN is NaN), not looked up: q7's bids meet one maximum at a time.
    const kind = keys.kinds.length === 1 ? keys.kinds[0] : undefined;
    const direct = (kind === 'f64' || kind === 'i32') && probeKeys[0]!.typeId !== 1 /* Null */;
    let probeValues: Float64Array = this.probeValues;
    let nan = false;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (nullKey[i] || id < 0 || mark[id] !== 0) continue;
      mark[id] = ++groups;
      if (!direct) continue;
      if (groups > probeValues.length) probeValues = this.growProbeValues();
      const y = (probeKeys[0]!.values as Float64Array | Int32Array)[i]!;
      probeValues[groups - 1] = y;
      if (y !== y) nan = true;
    }
    if (groups === 0) return false;
    // Many probe values (q20: a batch of auctions against the stored bids) are looked up in
    // order, a zone at a time; a NaN among them is left to hash lookups.
    const sorted = direct && groups > FEW_PROBES && !nan ? this.sortProbes(groups) : 0;
    const group = this.pendingGroup;
    const part = this.pendingPart;
    const row = this.pendingRow;
    group.length = part.length = row.length = 0;
    for (let b = theirs.indexed; b < theirs.batches.length; b++) {
      if (theirs.batches[b] === null || theirs.liveCount[b] === 0) continue;
      const live = theirs.live[b]!;
      const m = live.length;
      theirs.scans[b]! += VISIT_COST / m;
      const keyCol = theirs.keyColumnsOf(b)[0]!;
      if (direct && (groups <= FEW_PROBES || sorted > 0) && keyCol.offset === 0) {
        if (keyCol.typeId === 1 /* Null */) continue;
        const zones = theirs.zonesOf(b, keyCol, m);
        // Rent: a comparison per probe value and row of the zones that may hold a probe
        // value, or a lookup (about a hash lookup's cost) per row of such zones.
        if (sorted === 0) {
          theirs.scans[b]! += (groups * this.compareKeys(keyCol, live, probeValues, groups, b, zones)) / m;
          continue;
        }
        const looked = this.lookupKeys(keyCol, live, sorted, b, zones);
        if (looked >= 0) {
          theirs.scans[b]! += (FIND_SCAN_COST * looked) / m;
          continue;
        }
      }
      // A hash lookup of every row costs about what indexing the batch would.
      theirs.scans[b]! += FIND_SCAN_COST;
      if (this.scanIds.length < m) this.scanIds = new Int32Array(m);
      const found = this.scanIds;
      keys.find(theirs.keyColumnsOf(b), m, found);
      // A key with a NULL is never marked (probe rows with one are skipped), so it matches nothing.
      for (let r = 0; r < m; r++) {
        const id = found[r]!;
        if (id < 0 || mark[id] === 0 || live[r] === 0) continue;
        group.push(mark[id]! - 1);
        part.push(b);
        row.push(r);
      }
    }
    // Counting sort by group, stable: each group keeps batch and row order.
    const count = group.length;
    if (this.bucketStart.length < groups + 1) this.bucketStart = new Int32Array(2 * groups + 1);
    const start = this.bucketStart.fill(0, 0, groups + 1);
    for (let q = 0; q < count; q++) start[group.a[q]! + 1]!++;
    for (let g = 0; g < groups; g++) start[g + 1]! += start[g]!;
    const fill = this.bucketFill.length < groups ? (this.bucketFill = new Int32Array(2 * groups)) : this.bucketFill;
    fill.set(start.subarray(0, groups));
    const outPart = this.sortedPart.length < count ? (this.sortedPart = new Int32Array(2 * count)) : this.sortedPart;
    const outRow = this.sortedRow.length < count ? (this.sortedRow = new Int32Array(2 * count)) : this.sortedRow;
    for (let q = 0; q < count; q++) {
      const at = fill[group.a[q]!]!++;
      outPart[at] = part.a[q]!;
      outRow[at] = row.a[q]!;
    }
    part.a.set(outPart.subarray(0, count));
    row.a.set(outRow.subarray(0, count));
    return true;
  }

  /** pendingMatches for a number key column `c` of batch b and `groups` probe values. */
  private compareKeys(c: Data, live: Uint8Array, probe: Float64Array, groups: number, b: number, zones: Float64Array): number {
    const v = c.values as Float64Array | Int32Array;
    const bm = c.nullCount > 0 ? c.nullBitmap! : null;
    const group = this.pendingGroup;
    const part = this.pendingPart;
    const row = this.pendingRow;
    const y0 = probe[0]!;
    const n = live.length;
    let scanned = 0;
    for (let at = 0, k = 0; at < n; at += ZONE, k += 2) {
      // A zone is scanned only when some probe value may lie in it (q7: a window's top price
      // is above most zones of the stored bids).
      const lo = zones[k]!;
      const hi = zones[k + 1]!;
      let hit = false;
      for (let g = 0; g < groups && !hit; g++) {
        const y = probe[g]!;
        hit = y !== y || (y >= lo && y <= hi);
      }
      if (!hit) continue;
      const end = Math.min(n, at + ZONE);
      scanned += end - at;
      if (groups === 1 && y0 === y0) scanOne(v, bm, live, y0, at, end, group, part, row, b);
      else this.scanMany(v, bm, live, probe, groups, at, end, b);
    }
    return scanned;
  }

  /** compareKeys over rows [from, end) for several probe values (or a NaN). */
  private scanMany(v: Float64Array | Int32Array, bm: Uint8Array | null, live: Uint8Array, probe: Float64Array, groups: number, from: number, end: number, b: number): void {
    const group = this.pendingGroup;
    const part = this.pendingPart;
    const row = this.pendingRow;
    for (let r = from; r < end; r++) {
      const x = v[r]!;
      for (let g = 0; g < groups; g++) {
        const y = probe[g]!;
        if (x !== y && (x === x || y === y)) continue;
        if (live[r] === 0 || (bm !== null && ((bm[r >> 3]! >> (r & 7)) & 1) === 0)) break;
        group.push(g);
        part.push(b);
        row.push(r);
        break;
      }
    }
  }

  private growProbeValues(): Float64Array {
    const grown = new Float64Array(this.probeValues.length * 2);
    grown.set(this.probeValues);
    return (this.probeValues = grown);
  }

  /** Puts probeValues[0..groups) in order into sortedKeys, their groups into sortedGroups; returns groups. */
  private sortProbes(groups: number): number {
    if (this.sortedKeys.length < groups) {
      this.sortedKeys = new Float64Array(this.probeValues.length);
      this.sortedGroups = new Int32Array(this.probeValues.length);
    }
    const values = this.probeValues;
    const order = this.sortedGroups.subarray(0, groups);
    let ascending = true;
    for (let g = 0; g < groups; g++) {
      order[g] = g;
      if (g > 0 && values[g]! < values[g - 1]!) ascending = false;
    }
    // Often so already (q4, q20: auction ids as they were created).
    if (!ascending) order.sort((a, b) => values[a]! - values[b]!);
    for (let q = 0; q < groups; q++) this.sortedKeys[q] = values[order[q]!]!;
    return groups;
  }

  /**
   * pendingMatches for a number key column `c` of batch b and the `count` probe values in
   * sortedKeys (no NaN): each row of a zone that some probe value may lie in is looked up
   * among the probe values of its range by bisection. Returns the rows looked up, or -1
   * (nothing done) when most zones span many probe values (keys in no order): a hash
   * lookup per row is cheaper than those bisections.
   */
  private lookupKeys(c: Data, live: Uint8Array, count: number, b: number, zones: Float64Array): number {
    const keys = this.sortedKeys;
    const n = live.length;
    let wide = 0;
    for (let k = 0; k < zones.length; k += 2) {
      const first = lowerBound(keys, 0, count, zones[k]!);
      if (lowerBound(keys, first, count, zones[k + 1]!) - first > WIDE_ZONE) wide++;
    }
    if (4 * wide > zones.length) return -1;
    const v = c.values as Float64Array | Int32Array;
    const bm = c.nullCount > 0 ? c.nullBitmap! : null;
    const groupOf = this.sortedGroups;
    const group = this.pendingGroup;
    const part = this.pendingPart;
    const row = this.pendingRow;
    let scanned = 0;
    for (let at = 0, k = 0; at < n; at += ZONE, k += 2) {
      const first = lowerBound(keys, 0, count, zones[k]!);
      if (first === count || keys[first]! > zones[k + 1]!) continue;
      let last = lowerBound(keys, first, count, zones[k + 1]!);
      if (last < count && keys[last] === zones[k + 1]) last++;
      const end = Math.min(n, at + ZONE);
      scanned += end - at;
      for (let r = at; r < end; r++) {
        const x = v[r]!;
        const q = lowerBound(keys, first, last, x);
        if (q === last || keys[q] !== x || live[r] === 0 || (bm !== null && ((bm[r >> 3]! >> (r & 7)) & 1) === 0)) continue;
        group.push(groupOf[q]!);
        part.push(b);
        row.push(r);
      }
    }
    return scanned;
  }

  /** Which candidate pairs (0 or 1 each) satisfy the residual condition (all of them without one). */
  private evaluate(side: 0 | 1, m: number): Uint8Array {
    if (this.okScratch.length < m) this.okScratch = new Uint8Array(Math.max(m, 2 * this.okScratch.length));
    const ok = this.okScratch.subarray(0, m).fill(0);
    if (!this.residual) return ok.fill(1);
    if (m === 0) return ok;
    const theirs = this.sides[1 - side]!;
    const mine = this.current[side];
    if (this.zeros.length < m) this.zeros = new Int32Array(this.pairRow.a.length);
    // Only the columns the condition reads are gathered (q4's bound reads 3 of 14), a column at a time.
    const leftWidth = this.node.left.schema.length;
    const width = leftWidth + this.node.right.schema.length;
    const data: Data[] = [];
    for (let k = 0; k < width; k++) {
      if (!this.residualReads.has(k)) {
        data.push(UNREAD);
        continue;
      }
      // By side, not by offset: a left side none of whose columns is read has none, and then the right's start at 0 too.
      const colSide = k < leftWidth ? 0 : 1;
      const j = colSide === 0 ? k : k - leftWidth;
      if (colSide === side) data.push(mine[j]!.gather(this.zeros, this.pairRow.a, m, false, true));
      else data.push(theirs.parts[j]!.gather(this.pairPart.a, this.pairAt.a, m, false, true));
    }
    const { sel, count } = this.residual.select(data, m, this.params);
    for (let k = 0; k < count; k++) ok[sel[k]!] = 1;
    return ok;
  }

  /**
   * The stored row equal to row i of `cols` (first live one), or -1, by comparing the rows
   * of its key: for a side without a row table (no columns, or declared append-only).
   */
  private findStored(store: SideStore, keyId: number, cols: readonly Data[], i: number): number {
    const schema = store.schema;
    for (let ref = store.byKey.first(keyId); ref !== -1; ref = store.byKey.nextOf(ref)) {
      let same = true;
      for (let j = 0; j < schema.length && same; j++) {
        const a = store.value(ref, j);
        const v = readValue(cols[j]!, i, schema[j]!.type);
        same = a === v || (Number.isNaN(a) && Number.isNaN(v));
      }
      if (same) return ref;
    }
    return -1;
  }

  private touch(side: 0 | 1, ref: number): void {
    if (!this.full) this.added[side].add(this.sides[side].seq(ref));
  }

  private forget(side: 0 | 1, ref: number): void {
    if (this.full) return;
    // Deleting an entry no checkpoint wrote is harmless, so no need to know which were written.
    const seq = this.sides[side].seq(ref);
    this.added[side].delete(seq);
    this.removed[side].add(seq);
  }

  /**
   * Per row, the other side's watermark past which it can match nothing: the tightest of
   * its bounds (a NULL bound column bounds nothing); null when the side is unbounded.
   */
  private rowBounds(side: 0 | 1, cols: readonly Data[], n: number): Float64Array | null {
    const bounds = this.retention[side];
    if (bounds.length === 0) return null;
    const out = new Float64Array(n).fill(Infinity);
    for (const { column, offsetMs } of bounds) {
      const c = cols[column]!;
      if (c.typeId === 1 /* Null */) continue;
      const t = c.values as Float64Array;
      const bm = c.nullCount > 0 && c.nullBitmap !== undefined && c.nullBitmap.length > 0 ? c.nullBitmap : null;
      for (let i = 0; i < n; i++) {
        const u = t[i]! + offsetMs;
        if (u < out[i]! && (bm === null || ((bm[i >> 3]! >> (i & 7)) & 1) === 1)) out[i] = u;
      }
    }
    return out;
  }

  onWatermark(wm: number, input: number): void {
    if (wm <= this.merger.of(input)) return;
    const side = (1 - input) as 0 | 1;
    // The other side's rows this watermark rules out: padded if final and unmatched, then dropped.
    if (this.deferred[side]) this.padExpired(side, wm);
    if (wm === Infinity) this.dropAll(side);
    else this.dropExpired(side, wm);
    this.merger.update(input, wm);
    const next = this.outputWatermark();
    if (next > this.emitted) {
      this.emitted = next;
      this.out.watermark(next);
    }
  }

  /** Emits, padded, the rows of outer side `side` that `wm` makes final without a match. */
  private padExpired(side: 0 | 1, wm: number): void {
    const store = this.sides[side];
    const heap = this.pending[side];
    const o = this.output;
    const targets = this.padTargets[side];
    const padding = this.padTargets[1 - side]!.filter((b) => b !== null);
    while (heap.size > 0 && expired(heap.peekKey()!, wm)) {
      const ref = heap.peekValue()!;
      heap.removeTop();
      if (!store.isLive(ref) || store.matchCount(ref) > 0) continue;
      o.row(OP_INSERT);
      for (const b of padding) b.appendNull();
      store.appendRow(ref, targets, 0);
    }
    const out = o.finish(this.emitted, true);
    if (out) this.out.push(out);
  }

  /**
   * Per row of a batch that came in on `side` with per-row watermarks, the output watermark
   * the rows it makes are emitted under: the join's watermark had the input advanced to that
   * row's (so a window downstream judges them as when rows come one by one; the other input
   * stands still within the batch). Null when the batch's rows share one watermark.
   */
  private rowWatermarks(batch: ChangeBatch, side: 0 | 1): Float64Array | null {
    const wms = batch.wm;
    if (wms === null) return null;
    // Input watermarks only grow along a batch: when its first and last rows give the same
    // output watermark (the other input holds it back), every row does.
    const first = Math.max(this.emitted, this.outputWatermark(side, wms[0]!));
    if (first === Math.max(this.emitted, this.outputWatermark(side, wms[batch.length - 1]!))) return first === this.emitted ? null : new Float64Array(batch.length).fill(first);
    const out = new Float64Array(batch.length);
    let last = NaN;
    let w = this.emitted;
    for (let i = 0; i < batch.length; i++) {
      const x = wms[i]!;
      if (x !== last) {
        last = x;
        w = Math.max(this.emitted, this.outputWatermark(side, x));
      }
      out[i] = w;
    }
    return out;
  }

  /**
   * The watermark no later output row's event-time columns can fall below (see the header);
   * without such columns, the inputs' minimum. With `side` and `at`, as if input `side`'s
   * watermark were `at` (when higher).
   */
  private outputWatermark(side = -1, at = -Infinity): number {
    // Called per row by rowWatermarks: no allocation.
    let w0 = this.merger.of(0);
    let w1 = this.merger.of(1);
    if (side === 0 && at > w0) w0 = at;
    if (side === 1 && at > w1) w1 = at;
    const cols = this.timeColumns;
    if (cols.length === 0) return Math.min(w0, w1);
    let out = Infinity;
    for (let c = 0; c < cols.length; c++) {
      const { side: s, offset } = cols[c]!;
      const own = s === 0 ? w0 : w1;
      const other = s === 0 ? w1 : w0;
      const stored = other === Infinity ? Infinity : offset === undefined ? -Infinity : other - offset;
      out = Math.min(out, own, stored);
    }
    return out;
  }

  /** Drops the batches of `side` whose rows the other side's watermark `wm` has ruled out. */
  private dropExpired(side: 0 | 1, wm: number): void {
    const store = this.sides[side];
    if (store.openBatches.length === 0) return;
    const keep: number[] = [];
    for (const b of store.openBatches) {
      if (store.liveCount[b] === 0) continue;
      // A row on time on the other side has t >= wm: it cannot meet a row bounded below wm.
      if (expired(store.until[b]!, wm)) this.releaseKeys(store.dropBatch(b, this.full ? null : (ref) => this.forget(side, ref)));
      else keep.push(b);
    }
    store.openBatches = keep;
  }

  /**
   * Drops every stored row of `side`: the other input has ended, so none of them can meet a
   * row again. The store is replaced whole (a row at a time cost as much as the join at the
   * end of a bounded run), and the next checkpoint rewrites the state whole.
   */
  private dropAll(side: 0 | 1): void {
    // The other side's pending rows stay pending: the probes still to come (q7: the last
    // windows' maxima) scan them, cheaper than indexing them all for those few.
    const old = this.sides[side];
    if (old.rows === 0 && old.nextSeq === 0) return;
    this.sides[side] = this.newSide(side);
    this.pending[side] = new NumberHeap();
    this.full = true;
    const keys = this.keys;
    if (keys === null) return;
    const kept = this.sides[1 - side]!.byKey;
    if (this.sides[1 - side]!.rows === 0) keys.clear();
    else for (let k = 0; k < keys.capacity; k++) if (keys.has(k) && kept.countOf(k) === 0) keys.remove(k);
  }

  /** Frees the key ids no stored row of either side holds any more (interval joins would otherwise keep every key ever seen). */
  private releaseKeys(ids: ArrayLike<number>): void {
    const keys = this.keys;
    if (!keys) return;
    const left = this.sides[0].byKey;
    const right = this.sides[1].byKey;
    for (let i = 0; i < ids.length; i++) {
      const k = ids[i]!;
      if (k >= 0 && left.countOf(k) === 0 && right.countOf(k) === 0) keys.remove(k);
    }
  }

  private entry(side: 0 | 1, ref: number): [string, unknown] {
    const s = this.sides[side];
    return [`${side}:${s.seq(ref)}`, { values: s.values(ref), matches: s.matchCount(ref) }];
  }

  private allRefs(side: 0 | 1): number[] {
    return this.sides[side].refs();
  }

  checkpointDelta(): StateDelta {
    const puts: [string, unknown][] = [['#meta', { wm: this.merger.save() }]];
    const deletes: string[] = [];
    for (const side of [0, 1] as const) {
      const refs = this.allRefs(side);
      if (this.full) {
        for (const r of refs) puts.push(this.entry(side, r));
      } else {
        const want = this.added[side];
        for (const r of refs) if (want.has(this.sides[side].seq(r))) puts.push(this.entry(side, r));
        for (const seq of this.removed[side]) deletes.push(`${side}:${seq}`);
      }
      this.added[side].clear();
      this.removed[side].clear();
    }
    const full = this.full;
    this.full = false;
    return { full, puts, deletes };
  }

  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    this.recent[0] = this.recent[1] = null;
    const rows: [[number, Value[], number][], [number, Value[], number][]] = [[], []];
    for (const [k, v] of entries) {
      if (k === '#meta') {
        this.merger.load((v as { wm: (number | null)[] }).wm);
        this.emitted = this.outputWatermark();
        continue;
      }
      const [side, seq] = k.split(':').map(Number) as [0 | 1, number];
      const { values, matches } = v as { values: Value[]; matches: number };
      rows[side].push([seq, values, matches]);
    }
    for (const side of [0, 1] as const) {
      const list = rows[side].sort((a, b) => a[0] - b[0]);
      if (list.length === 0) continue;
      const store = this.sides[side];
      const data = batchFromRows(store.schema, list.map((r) => r[1]));
      const cols = columnsOf(data);
      const { ids, nullKey } = this.keyIds(side, cols, list.length);
      const b = store.addBatch(cols, list.length, this.rowBounds(side, cols, list.length));
      const rowIds = store.rowIdsOf(cols, list.length);
      const otherWm = this.merger.of(1 - side);
      list.forEach(([seq, , matches], i) => {
        const ref = store.add(nullKey[i] ? -1 : ids[i]!, b, i, seq, rowIds?.[i]);
        if (this.outer[side]) store.addMatches(ref, matches);
        // A row already final was padded (or met) before the checkpoint.
        if (this.deferred[side] && matches === 0 && !expired(store.untilOf(ref), otherWm)) this.pending[side].push(store.untilOf(ref), ref);
      });
    }
    this.full = false;
    // Rows a checkpoint kept although the other input had ended (written before joins dropped them).
    for (const side of [0, 1] as const) if (this.merger.of(1 - side) === Infinity) this.dropAll(side);
  }

  snapshot(): unknown {
    return Object.fromEntries(this.checkpointDeltaPeek());
  }

  /** Every entry, without marking anything written (for snapshot()). */
  private checkpointDeltaPeek(): [string, unknown][] {
    const out: [string, unknown][] = [['#meta', { wm: this.merger.save() }]];
    for (const side of [0, 1] as const) for (const r of this.allRefs(side)) out.push(this.entry(side, r));
    return out;
  }

  restore(state: unknown): void {
    this.restoreEntries(new Map(Object.entries(state as Record<string, unknown>)));
  }

  stateSize(): number {
    return this.sides[0].rows + this.sides[1].rows;
  }

  close(): void {}
}
