/**
 * RowStore: whole rows kept by an operator (Top-N, deduplication), stored column by column
 * in typed arrays indexed by a slot id: numbers in Float64Array/Int32Array, booleans as
 * bytes, strings as (start, length) into an arena of byte chunks (growing it never copies
 * what is held, nor zero-fills twice its size) compacted when a quarter of it is garbage. A row is copied in from an Arrow batch and out into column builders without
 * decoding; freed slots are reused. Nothing here allocates per row, so a million held rows
 * cost their bytes, not a million JS objects.
 */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import { decodeUtf8, type ColumnBuilder } from '../batch.js';
import { grown } from '../agg/accumulator.js';
import { physicalKindOf, type PhysicalKind } from './columns.js';

export class RowStore {
  readonly kinds: readonly PhysicalKind[];
  /** Per column: slot → number (f64 and i32 columns; bool as 0/1 in i32). */
  readonly f64: Float64Array[];
  readonly i32: Int32Array[];
  private strStart: Int32Array[];
  private strLen: Int32Array[];
  /** Per column: slot → 1 when NULL. */
  private nulls: Uint8Array[];
  private alive = new Uint8Array(64);
  /** String bytes: a start is (chunk << CHUNK_BITS) | offset; a string never spans chunks. */
  private chunks: Uint8Array[] = [new Uint8Array(0)];
  /** Chunks freed by a compaction, reused before new ones are allocated. */
  private spare: Uint8Array[] = [];
  private cur = 0;
  /** Bytes used in the current chunk. */
  private arenaUsed = 0;
  /** Bytes of every chunk, and of freed strings (a chunk's unused tail is not counted: a
   * compaction leaves as many, and strings near CHUNK bytes would compact over and over). */
  private arenaSize = 0;
  private arenaWaste = 0;
  private free = new Int32Array(16);
  private freeCount = 0;
  private highWater = 0;
  private cap = 64;
  private live = 0;
  private readonly hasStrings: boolean;
  /** The string columns. */
  private readonly strCols: Int32Array;

  constructor(readonly types: readonly SqlType[]) {
    this.kinds = types.map(physicalKindOf);
    this.f64 = this.kinds.map((k) => new Float64Array(k === 'f64' ? this.cap : 0));
    this.i32 = this.kinds.map((k) => new Int32Array(k === 'i32' || k === 'bool' ? this.cap : 0));
    this.strStart = this.kinds.map((k) => new Int32Array(k === 'utf8' ? this.cap : 0));
    this.strLen = this.kinds.map((k) => new Int32Array(k === 'utf8' ? this.cap : 0));
    this.nulls = this.kinds.map(() => new Uint8Array(this.cap));
    this.hasStrings = this.kinds.includes('utf8');
    this.strCols = Int32Array.from(this.kinds.flatMap((k, j) => (k === 'utf8' ? [j] : [])));
    if (this.hasStrings) this.chunks = [new Uint8Array(4096)];
    this.arenaSize = this.chunks[0]!.length;
  }

  /** Rows held. */
  get size(): number {
    return this.live;
  }

  /** True when `slot` holds a row. */
  has(slot: number): boolean {
    return slot < this.highWater && this.alive[slot] === 1;
  }

  isNull(slot: number, j: number): boolean {
    return this.nulls[j]![slot] === 1;
  }

  private allocSlot(): number {
    let s: number;
    if (this.freeCount > 0) s = this.free[--this.freeCount]!;
    else {
      s = this.highWater++;
      if (s === this.cap) this.growSlots(this.cap * 2);
    }
    // A compaction while this row's strings are copied in must not copy a previous row's.
    // (A start from the slot's previous row could name a chunk a compaction dropped.)
    for (let c = 0; c < this.strCols.length; c++) {
      const j = this.strCols[c]!;
      this.strLen[j]![s] = 0;
      this.strStart[j]![s] = 0;
    }
    return s;
  }

  private growSlots(cap: number): void {
    const g = <T extends Float64Array | Int32Array | Uint8Array>(a: T): T => (a.length === 0 ? a : grown(a, cap));
    // In place: the per-column arrays keep the map they were made with, so code compiled for
    // one store's arrays serves a new store's (a replaced array's map differed: q19's second
    // run deoptimized 15 functions on it).
    for (const cols of [this.f64, this.i32, this.strStart, this.strLen, this.nulls] as (Float64Array | Int32Array | Uint8Array)[][]) {
      for (let j = 0; j < cols.length; j++) cols[j] = g(cols[j]!);
    }
    this.alive = g(this.alive);
    this.cap = this.alive.length;
  }

  /** Copies row `row` of `cols` (offset-0 columns of this store's types) into a new slot. */
  add(cols: readonly Data[], row: number): number {
    const slot = this.allocSlot();
    this.alive[slot] = 1;
    this.live++;
    for (let j = 0; j < this.kinds.length; j++) {
      const d = cols[j]!;
      const kind = this.kinds[j]!;
      const isNull = kind === 'null' || d.typeId === 1 || (d.nullCount > 0 && ((d.nullBitmap![row >> 3]! >> (row & 7)) & 1) === 0);
      this.nulls[j]![slot] = isNull ? 1 : 0;
      if (isNull) continue;
      switch (kind) {
        case 'f64':
          this.f64[j]![slot] = (d.values as Float64Array)[row]!;
          break;
        case 'i32':
          this.i32[j]![slot] = (d.values as Int32Array)[row]!;
          break;
        case 'bool':
          this.i32[j]![slot] = ((d.values as Uint8Array)[row >> 3]! >> (row & 7)) & 1;
          break;
        case 'utf8': {
          const off = d.valueOffsets as Int32Array;
          this.storeBytes(j, slot, d.values as Uint8Array, off[row]!, off[row + 1]!);
          break;
        }
      }
    }
    return slot;
  }

  /**
   * Copies rows `rows[0..count)` of `cols` into new slots, written to `out` (a batch at a time:
   * one tight loop per column, so each loop sees one array type).
   */
  addRows(cols: readonly Data[], rows: Int32Array, count: number, out: Int32Array, later?: readonly boolean[]): void {
    for (let r = 0; r < count; r++) {
      const slot = this.allocSlot();
      this.alive[slot] = 1;
      out[r] = slot;
    }
    this.live += count;
    for (let j = 0; j < this.kinds.length; j++) {
      const d = cols[j]!;
      const kind = this.kinds[j]!;
      const nulls = this.nulls[j]!;
      const allNull = kind === 'null' || d.typeId === 1;
      const bm = !allNull && d.nullCount > 0 ? d.nullBitmap! : null;
      for (let r = 0; r < count; r++) {
        const i = rows[r]!;
        nulls[out[r]!] = allNull || (bm !== null && ((bm[i >> 3]! >> (i & 7)) & 1) === 0) ? 1 : 0;
      }
      if (allNull) continue;
      switch (kind) {
        case 'f64': {
          const src = d.values as Float64Array;
          const dst = this.f64[j]!;
          for (let r = 0; r < count; r++) dst[out[r]!] = src[rows[r]!]!;
          break;
        }
        case 'i32': {
          const src = d.values as Int32Array;
          const dst = this.i32[j]!;
          for (let r = 0; r < count; r++) dst[out[r]!] = src[rows[r]!]!;
          break;
        }
        case 'bool': {
          const src = d.values as Uint8Array;
          const dst = this.i32[j]!;
          for (let r = 0; r < count; r++) {
            const i = rows[r]!;
            dst[out[r]!] = (src[i >> 3]! >> (i & 7)) & 1;
          }
          break;
        }
        case 'utf8':
          if (later?.[j] !== true) this.addStrings(j, d, rows, out, count);
          break;
      }
    }
  }

  /**
   * Copies column j's strings of rows `rows[0..count)` into `slots` (added by addRows with that
   * column `later`: until then they read as empty).
   */
  addStrings(j: number, d: Data, rows: Int32Array, slots: Int32Array, count: number): void {
    const off = d.valueOffsets as Int32Array;
    const src = d.values as Uint8Array;
    const nulls = this.nulls[j]!;
    let r = 0;
    while (r < count) {
      if (nulls[slots[r]!] === 1) {
        r++;
        continue;
      }
      // Rows next to each other in the batch have their bytes next to each other: one copy
      // (within a chunk's bytes: a start holds an offset of CHUNK_BITS).
      const s0 = off[rows[r]!]!;
      let e = r + 1;
      while (e < count && rows[e] === rows[e - 1]! + 1 && nulls[slots[e]!] === 0 && off[rows[e]! + 1]! - s0 <= CHUNK) e++;
      const n = off[rows[e - 1]! + 1]! - s0;
      const p = this.reserve(n);
      copyBytes(this.chunks[this.cur]!, p, src, s0, s0 + n);
      this.arenaUsed = p + n;
      const starts = this.strStart[j]!;
      const lens = this.strLen[j]!;
      const base = (this.cur << CHUNK_BITS) | p;
      for (; r < e; r++) {
        const i = rows[r]!;
        starts[slots[r]!] = base + (off[i]! - s0);
        lens[slots[r]!] = off[i + 1]! - off[i]!;
      }
    }
  }

  /** Stores a row given as values (restore, slow path). */
  addValues(values: readonly Value[]): number {
    const slot = this.allocSlot();
    this.alive[slot] = 1;
    this.live++;
    for (let j = 0; j < this.kinds.length; j++) {
      const v = values[j] ?? null;
      this.nulls[j]![slot] = v === null ? 1 : 0;
      if (v === null) continue;
      switch (this.kinds[j]!) {
        case 'f64':
          this.f64[j]![slot] = Number(v);
          break;
        case 'i32':
          this.i32[j]![slot] = Number(v);
          break;
        case 'bool':
          this.i32[j]![slot] = v === true ? 1 : 0;
          break;
        case 'utf8': {
          const b = encoder.encode(String(v));
          this.storeBytes(j, slot, b, 0, b.length);
          break;
        }
        case 'null':
          this.nulls[j]![slot] = 1;
      }
    }
    return slot;
  }

  private storeBytes(j: number, slot: number, src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    const p = this.reserve(n);
    this.strStart[j]![slot] = (this.cur << CHUNK_BITS) | p;
    this.strLen[j]![slot] = n;
    copyBytes(this.chunks[this.cur]!, p, src, s, e);
    this.arenaUsed = p + n;
  }

  /** Where n more bytes go in the current chunk (compacting or growing the arena first if need be). */
  private reserve(n: number): number {
    if (this.arenaUsed + n > this.chunks[this.cur]!.length) {
      // Compacting frees at least a quarter of the arena (amortized); else it grows.
      if (this.arenaWaste >= this.arenaSize / 4) this.compact();
      if (this.arenaUsed + n > this.chunks[this.cur]!.length) this.makeRoom(n);
    }
    return this.arenaUsed;
  }

  /**
   * Room for n more bytes: the first chunk doubles up to CHUNK bytes (copied: it is small),
   * then each new chunk holds CHUNK bytes (or one longer string alone).
   */
  private makeRoom(n: number): void {
    const a = this.chunks[this.cur]!;
    if (this.cur === 0 && this.arenaUsed + n <= CHUNK) {
      const b = this.takeChunk(Math.min(CHUNK, Math.max(a.length * 2, this.arenaUsed + n)));
      b.set(a.subarray(0, this.arenaUsed));
      this.chunks[0] = b;
      this.arenaSize += b.length - a.length;
      return;
    }
    if (this.cur + 1 >= 1 << (31 - CHUNK_BITS)) throw new Error('a row store holds at most 2 GB of strings');
    const b = this.takeChunk(Math.max(CHUNK, n));
    this.chunks.push(b);
    this.cur++;
    this.arenaUsed = 0;
    this.arenaSize += b.length;
  }

  private takeChunk(size: number): Uint8Array {
    const k = this.spare.findIndex((c) => c.length === size);
    if (k < 0) return new Uint8Array(size);
    const c = this.spare[k]!;
    this.spare.splice(k, 1);
    return c;
  }

  /** Rewrites the arena with the strings of live slots only. */
  private compact(): void {
    const old = this.chunks;
    // The old chunks are kept for reuse: new ones each time are garbage as large as the state.
    this.chunks = [this.takeChunk(old[0]!.length)];
    this.cur = 0;
    this.arenaUsed = 0;
    this.arenaSize = this.chunks[0]!.length;
    this.arenaWaste = 0;
    for (let s = 0; s < this.highWater; s++) {
      if (this.alive[s] !== 1) continue;
      for (let j = 0; j < this.kinds.length; j++) {
        if (this.kinds[j] !== 'utf8' || this.nulls[j]![s] === 1) continue;
        const st = this.strStart[j]![s]!;
        const len = this.strLen[j]![s]!;
        if (this.arenaUsed + len > this.chunks[this.cur]!.length) this.makeRoom(len);
        const o = st & MASK;
        this.chunks[this.cur]!.set(old[st >>> CHUNK_BITS]!.subarray(o, o + len), this.arenaUsed);
        this.strStart[j]![s] = (this.cur << CHUNK_BITS) | this.arenaUsed;
        this.arenaUsed += len;
      }
    }
    for (const c of old) if (c.length <= CHUNK) this.spare.push(c);
  }

  /** Frees a slot for reuse; its values are gone. */
  remove(slot: number): void {
    if (this.alive[slot] !== 1) return;
    this.alive[slot] = 0;
    this.live--;
    for (let c = 0; c < this.strCols.length; c++) {
      const j = this.strCols[c]!;
      if (this.nulls[j]![slot] === 0) this.arenaWaste += this.strLen[j]![slot]!;
    }
    if (this.freeCount === this.free.length) this.free = grown(this.free, this.freeCount + 1);
    this.free[this.freeCount++] = slot;
  }

  /** Appends the row in `slot` to builders[from..]. */
  appendRow(slot: number, builders: readonly ColumnBuilder[], from: number): void {
    for (let j = 0; j < this.kinds.length; j++) {
      const b = builders[from + j]!;
      if (this.nulls[j]![slot] === 1) {
        b.appendNull();
        continue;
      }
      switch (this.kinds[j]!) {
        case 'f64':
          b.appendNumber(this.f64[j]![slot]!);
          break;
        case 'i32':
          b.appendNumber(this.i32[j]![slot]!);
          break;
        case 'bool':
          b.appendBoolean(this.i32[j]![slot] === 1);
          break;
        case 'utf8': {
          const st = this.strStart[j]![slot]!;
          const s = st & MASK;
          b.appendUtf8(this.chunks[st >>> CHUNK_BITS]!, s, s + this.strLen[j]![slot]!);
          break;
        }
        case 'null':
          b.appendNull();
      }
    }
  }

  /** One value of a held row (slow path, and the VARCHAR sort keys). */
  value(slot: number, j: number): Value {
    if (this.nulls[j]![slot] === 1) return null;
    switch (this.kinds[j]!) {
      case 'f64':
        return this.f64[j]![slot]!;
      case 'i32':
        return this.i32[j]![slot]!;
      case 'bool':
        return this.i32[j]![slot] === 1;
      case 'utf8': {
        const st = this.strStart[j]![slot]!;
        const s = st & MASK;
        return decodeUtf8(this.chunks[st >>> CHUNK_BITS]!, s, s + this.strLen[j]![slot]!);
      }
      case 'null':
        return null;
    }
  }

  values(slot: number): Value[] {
    return this.kinds.map((_, j) => this.value(slot, j));
  }

  /** True when row `row` of `cols` holds the same values as `slot` (NULL equal to NULL). */
  equalsRow(slot: number, cols: readonly Data[], row: number): boolean {
    for (let j = 0; j < this.kinds.length; j++) {
      const d = cols[j]!;
      const kind = this.kinds[j]!;
      const isNull = kind === 'null' || d.typeId === 1 || (d.nullCount > 0 && ((d.nullBitmap![row >> 3]! >> (row & 7)) & 1) === 0);
      if (isNull !== (this.nulls[j]![slot] === 1)) return false;
      if (isNull) continue;
      switch (kind) {
        case 'f64':
          if (this.f64[j]![slot] !== (d.values as Float64Array)[row]) return false;
          break;
        case 'i32':
          if (this.i32[j]![slot] !== (d.values as Int32Array)[row]) return false;
          break;
        case 'bool':
          if (this.i32[j]![slot] !== (((d.values as Uint8Array)[row >> 3]! >> (row & 7)) & 1)) return false;
          break;
        case 'utf8': {
          const off = d.valueOffsets as Int32Array;
          const s = off[row]!;
          const len = off[row + 1]! - s;
          if (this.strLen[j]![slot] !== len) return false;
          const src = d.values as Uint8Array;
          const at = this.strStart[j]![slot]!;
          const a = this.chunks[at >>> CHUNK_BITS]!;
          const st = at & MASK;
          for (let k = 0; k < len; k++) if (a[st + k] !== src[s + k]) return false;
          break;
        }
      }
    }
    return true;
  }

  /** Every live slot, in slot order (snapshots). */
  *slots(): IterableIterator<number> {
    for (let s = 0; s < this.highWater; s++) if (this.alive[s] === 1) yield s;
  }

  clear(): void {
    this.alive.fill(0);
    this.highWater = 0;
    this.freeCount = 0;
    this.live = 0;
    this.chunks.length = 1;
    this.cur = 0;
    this.arenaUsed = 0;
    this.arenaSize = this.chunks[0]!.length;
    this.arenaWaste = 0;
  }
}

/** Copies src[s..e) to dst at p; a byte loop beats the subarray a set() needs only for short strings. */
function copyBytes(dst: Uint8Array, p: number, src: Uint8Array, s: number, e: number): void {
  if (e - s <= 24) for (let k = s; k < e; k++) dst[p++] = src[k]!;
  else dst.set(src.subarray(s, e), p);
}

const CHUNK_BITS = 22;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

const encoder = new TextEncoder();
