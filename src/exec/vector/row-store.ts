/**
 * RowStore: whole rows kept by an operator (Top-N, deduplication), stored column by column
 * in typed arrays indexed by a slot id: numbers in Float64Array/Int32Array, booleans as
 * bytes, strings as (start, length) into one byte arena compacted when half of it is
 * garbage. A row is copied in from an Arrow batch and out into column builders without
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
  private arena = new Uint8Array(0);
  private spare: typeof this.arena | null = null;
  private arenaUsed = 0;
  private arenaWaste = 0;
  private free = new Int32Array(16);
  private freeCount = 0;
  private highWater = 0;
  private cap = 64;
  private live = 0;
  private readonly hasStrings: boolean;

  constructor(readonly types: readonly SqlType[]) {
    this.kinds = types.map(physicalKindOf);
    this.f64 = this.kinds.map((k) => new Float64Array(k === 'f64' ? this.cap : 0));
    this.i32 = this.kinds.map((k) => new Int32Array(k === 'i32' || k === 'bool' ? this.cap : 0));
    this.strStart = this.kinds.map((k) => new Int32Array(k === 'utf8' ? this.cap : 0));
    this.strLen = this.kinds.map((k) => new Int32Array(k === 'utf8' ? this.cap : 0));
    this.nulls = this.kinds.map(() => new Uint8Array(this.cap));
    this.hasStrings = this.kinds.includes('utf8');
    if (this.hasStrings) this.arena = new Uint8Array(4096);
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
    if (this.hasStrings) for (let j = 0; j < this.kinds.length; j++) if (this.kinds[j] === 'utf8') this.strLen[j]![s] = 0;
    return s;
  }

  private growSlots(cap: number): void {
    const g = <T extends Float64Array | Int32Array | Uint8Array>(a: T): T => (a.length === 0 ? a : grown(a, cap));
    this.f64.forEach((a, j) => (this.f64[j] = g(a)));
    this.i32.forEach((a, j) => (this.i32[j] = g(a)));
    this.strStart = this.strStart.map(g);
    this.strLen = this.strLen.map(g);
    this.nulls = this.nulls.map(g);
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
  addRows(cols: readonly Data[], rows: Int32Array, count: number, out: Int32Array): void {
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
        case 'utf8': {
          const off = d.valueOffsets as Int32Array;
          const src = d.values as Uint8Array;
          for (let r = 0; r < count; r++) {
            const i = rows[r]!;
            if (nulls[out[r]!] === 0) this.storeBytes(j, out[r]!, src, off[i]!, off[i + 1]!);
          }
          break;
        }
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
    if (this.arenaUsed + n > this.arena.length) {
      // Compacting frees at least a quarter of the arena (amortized); else it doubles, so the
      // arena stays within about 2.7x the live strings.
      if (this.arenaWaste >= this.arena.length / 4) this.compact();
      if (this.arenaUsed + n > this.arena.length) {
        const a = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + n));
        a.set(this.arena.subarray(0, this.arenaUsed));
        this.arena = a;
        this.spare = null;
      }
    }
    const a = this.arena;
    let p = this.arenaUsed;
    this.strStart[j]![slot] = p;
    this.strLen[j]![slot] = n;
    // A byte loop beats the subarray a set() needs only for short strings.
    if (n <= 24) for (let k = s; k < e; k++) a[p++] = src[k]!;
    else {
      a.set(src.subarray(s, e), p);
      p += n;
    }
    this.arenaUsed = p;
  }

  /** Rewrites the arena with the strings of live slots only (the slot being written is not yet marked). */
  private compact(): void {
    // The previous arena is kept for the next compaction: a new one each time is garbage as large as the state.
    const a = this.spare !== null && this.spare.length === this.arena.length ? this.spare : new Uint8Array(this.arena.length);
    this.spare = this.arena;
    let p = 0;
    for (let s = 0; s < this.highWater; s++) {
      if (this.alive[s] !== 1) continue;
      for (let j = 0; j < this.kinds.length; j++) {
        if (this.kinds[j] !== 'utf8' || this.nulls[j]![s] === 1) continue;
        const st = this.strStart[j]![s]!;
        const len = this.strLen[j]![s]!;
        a.set(this.arena.subarray(st, st + len), p);
        this.strStart[j]![s] = p;
        p += len;
      }
    }
    this.arena = a;
    this.arenaUsed = p;
    this.arenaWaste = 0;
  }

  /** Frees a slot for reuse; its values are gone. */
  remove(slot: number): void {
    if (this.alive[slot] !== 1) return;
    this.alive[slot] = 0;
    this.live--;
    if (this.hasStrings) {
      for (let j = 0; j < this.kinds.length; j++) if (this.kinds[j] === 'utf8' && this.nulls[j]![slot] === 0) this.arenaWaste += this.strLen[j]![slot]!;
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
          const s = this.strStart[j]![slot]!;
          b.appendUtf8(this.arena, s, s + this.strLen[j]![slot]!);
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
        const s = this.strStart[j]![slot]!;
        return decodeUtf8(this.arena, s, s + this.strLen[j]![slot]!);
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
          const a = this.arena;
          const st = this.strStart[j]![slot]!;
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
    this.arenaUsed = 0;
    this.arenaWaste = 0;
  }
}

const encoder = new TextEncoder();
