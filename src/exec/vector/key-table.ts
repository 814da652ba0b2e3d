/**
 * KeyTable: the hash table behind GROUP BY and join keys. It maps multi-column keys, read
 * straight from Arrow columns, to dense group ids that operators use to index their own
 * per-group typed arrays.
 *
 * Layout: open addressing with linear probing over an Int32Array of slot pairs (id + 1 with
 * 0 = empty, and the key's 32-bit hash, so a probe rejects most other keys without touching
 * them), load factor at most 1/2, deletion by backward shifting (no tombstones). Keys are
 * stored struct-of-arrays by key column and id: numbers in Float64Array/Int32Array, one
 * null bit mask per id, strings as (start, length) into one growing byte arena, so lookups
 * compare bytes without decoding. The probe loop is generated once per key signature with
 * `new Function`, so a single Float64 key or a pair of numbers runs as one specialized
 * loop with no per-column dispatch.
 *
 * NULL is a key value equal to itself (GROUP BY semantics; a join that must not match
 * NULLs filters them before probing). -0 equals 0 and every NaN equals every NaN.
 */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import { ColumnBuilder, decodeUtf8 } from '../batch.js';
import { SluiceError } from '../../errors.js';
import { eqBytes } from './bytes.js';
import { boolColumn, float64Column, int32Column, kindOfData, normalizeColumn, nullColumn, physicalKindOf, utf8Column, type PhysicalKind } from './columns.js';

type ProbeFn = (t: KeyTable, cols: readonly Data[], n: number, out: Int32Array) => number;

const INITIAL_SLOTS = 64;
const INITIAL_IDS = 32;

// Scratch views to read the two 32-bit halves of a double without allocating.
const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);

const probeCache = new Map<string, { insert: ProbeFn; find: ProbeFn }>();

/** Multi-column keys → dense group ids (see the file comment for the layout). */
export class KeyTable {
  readonly keyTypes: readonly SqlType[];
  /** @internal per-column physical kinds */
  readonly kinds: readonly PhysicalKind[];
  /** @internal slot p → [2p] id + 1 (0 = empty), [2p + 1] hash of its key */
  slots: Int32Array = new Int32Array(2 * INITIAL_SLOTS);
  private createdIds = new Int32Array(64);
  private createdCount = 0;
  /** @internal slot count - 1 */
  mask = INITIAL_SLOTS - 1;
  /** @internal id → hash of its key (to find its slot on removal) */
  hashes: Int32Array = new Int32Array(INITIAL_IDS);
  /** @internal id → 1 while the id is in use */
  alive: Uint8Array = new Uint8Array(INITIAL_IDS);
  /** @internal id → bit j set when key column j is NULL */
  nullMask: Uint8Array | Int32Array;
  /** @internal per column: id → number key (Float64 columns) */
  f64: Float64Array[];
  /** @internal per column: id → number key (INT) or 0/1 (BOOLEAN) */
  i32: Int32Array[];
  /** @internal per column: id → start of the key bytes in `arena` (VARCHAR) */
  strStart: Int32Array[];
  /** @internal per column: id → length of the key bytes */
  strLen: Int32Array[];
  /** @internal */
  arena: Uint8Array = new Uint8Array(0);
  private arenaUsed = 0;
  private arenaWaste = 0;
  private free: Int32Array = new Int32Array(16);
  private freeCount = 0;
  private live = 0;
  private highWater = 0;
  private idCap = INITIAL_IDS;
  private readonly probeInsert: ProbeFn;
  private readonly probeFind: ProbeFn;
  private readonly hasStrings: boolean;
  /** @internal scratch shared with the generated probe loops */
  readonly scratchF64 = F64;
  /** @internal */
  readonly scratchI32 = I32;

  /** `expected`: about how many keys it will hold, to size it once (no rehash on the way). */
  constructor(keyTypes: readonly SqlType[], expected = 0) {
    if (keyTypes.length === 0) throw new SluiceError('INTERNAL', 'KeyTable needs at least one key column');
    this.keyTypes = [...keyTypes];
    const ids = Math.max(INITIAL_IDS, Math.ceil(expected));
    if (ids > INITIAL_IDS) {
      // Load at most 1/2, as insertAt keeps it.
      let slots = INITIAL_SLOTS;
      while (slots < 2 * ids) slots *= 2;
      this.slots = new Int32Array(2 * slots);
      this.mask = slots - 1;
      this.idCap = ids;
      this.hashes = new Int32Array(ids);
      this.alive = new Uint8Array(ids);
    }
    this.kinds = keyTypes.map(physicalKindOf);
    const k = keyTypes.length;
    if (k > 31) throw new SluiceError('UNSUPPORTED', `grouping or joining on ${k} columns (at most 31)`);
    this.nullMask = k <= 8 ? new Uint8Array(ids) : new Int32Array(ids);
    this.f64 = this.kinds.map((x) => new Float64Array(x === 'f64' ? ids : 0));
    this.i32 = this.kinds.map((x) => new Int32Array(x === 'i32' || x === 'bool' ? ids : 0));
    this.strStart = this.kinds.map((x) => new Int32Array(x === 'utf8' ? ids : 0));
    this.strLen = this.kinds.map((x) => new Int32Array(x === 'utf8' ? ids : 0));
    this.hasStrings = this.kinds.includes('utf8');
    if (this.hasStrings) this.arena = new Uint8Array(1024);
    const sig = this.kinds.join(',');
    let fns = probeCache.get(sig);
    if (fns === undefined) {
      fns = { insert: generateProbe(this.kinds, true), find: generateProbe(this.kinds, false) };
      probeCache.set(sig, fns);
    }
    this.probeInsert = fns.insert;
    this.probeFind = fns.find;
  }

  /** Live groups. */
  get size(): number {
    return this.live;
  }

  /** Ids in use lie in 0..capacity-1 (size per-group arrays by it). */
  get capacity(): number {
    return this.highWater;
  }

  /** True when `id` currently names a group. */
  has(id: number): boolean {
    return id >= 0 && id < this.highWater && this.alive[id] === 1;
  }

  /**
   * For row i of `keyCols` (n rows) writes the group id of its key into out[i]; unseen keys
   * get new ids (dense, reusing freed ids). Returns how many new groups were created.
   */
  findOrInsert(keyCols: readonly Data[], n: number, out: Int32Array): number {
    this.createdCount = 0;
    return this.probeInsert(this, this.checkColumns(keyCols), n, out);
  }

  /** The ids the last findOrInsert created, in creation order (valid until the next call). */
  get created(): Int32Array {
    return this.createdIds.subarray(0, this.createdCount);
  }

  /** Like findOrInsert but never inserts: -1 for an unknown key. */
  find(keyCols: readonly Data[], n: number, out: Int32Array): void {
    this.probeFind(this, this.checkColumns(keyCols), n, out);
  }

  /** The id of a key given as values, inserting it when new (slow path: restore, tests). */
  findOrInsertValues(key: readonly Value[]): number {
    const out = new Int32Array(1);
    this.findOrInsert(this.valueColumns(key), 1, out);
    return out[0]!;
  }

  /** The id of a key given as values, or -1 (slow path). */
  findValues(key: readonly Value[]): number {
    const out = new Int32Array(1);
    this.find(this.valueColumns(key), 1, out);
    return out[0]!;
  }

  /** Decodes the key of group `id` (slow path). */
  keyValues(id: number): Value[] {
    const out: Value[] = [];
    for (let j = 0; j < this.kinds.length; j++) {
      if ((this.nullMask[id]! >> j) & 1) {
        out.push(null);
        continue;
      }
      switch (this.kinds[j]!) {
        case 'f64':
          out.push(this.f64[j]![id]!);
          break;
        case 'i32':
          out.push(this.i32[j]![id]!);
          break;
        case 'bool':
          out.push(this.i32[j]![id] === 1);
          break;
        case 'utf8': {
          const s = this.strStart[j]![id]!;
          out.push(decodeUtf8(this.arena, s, s + this.strLen[j]![id]!));
          break;
        }
        case 'null':
          out.push(null);
          break;
      }
    }
    return out;
  }

  /** Appends the key of group `id` to one builder per key column (output building, no decoding of strings). */
  appendKey(id: number, builders: readonly ColumnBuilder[]): void {
    for (let j = 0; j < this.kinds.length; j++) {
      const b = builders[j]!;
      if ((this.nullMask[id]! >> j) & 1) {
        b.appendNull();
        continue;
      }
      switch (this.kinds[j]!) {
        case 'f64':
          b.appendNumber(this.f64[j]![id]!);
          break;
        case 'i32':
          b.appendNumber(this.i32[j]![id]!);
          break;
        case 'bool':
          b.appendBoolean(this.i32[j]![id] === 1);
          break;
        case 'utf8': {
          const s = this.strStart[j]![id]!;
          b.appendUtf8(this.arena, s, s + this.strLen[j]![id]!);
          break;
        }
        case 'null':
          b.appendNull();
          break;
      }
    }
  }

  /**
   * The keys of ids[0..n), one column per key column (snapshots: restoring passes them to
   * findOrInsert, which gives the ids back in the same order).
   */
  keyColumns(ids: Int32Array, n: number): Data[] {
    return this.kinds.map((kind, j) => {
      if (kind === 'null') return nullColumn(n);
      const bits = new Uint8Array((n + 7) >> 3);
      const nulls = keyValidity(bits, this.nullMask, ids, n, 1 << j);
      const validity = nulls === 0 ? null : bits;
      switch (kind) {
        case 'f64': {
          const v = new Float64Array(n);
          gatherNumbers(v, this.f64[j]!, ids, n);
          return float64Column(v, validity, nulls);
        }
        case 'i32': {
          const v = new Int32Array(n);
          gatherNumbers(v, this.i32[j]!, ids, n);
          return int32Column(v, validity, nulls);
        }
        case 'bool': {
          const values = new Uint8Array((n + 7) >> 3);
          gatherBits(values, this.i32[j]!, ids, n);
          return boolColumn(values, n, validity, nulls);
        }
        case 'utf8': {
          const offsets = new Int32Array(n + 1);
          const bytes = new Uint8Array(stringOffsets(offsets, this.strLen[j]!, this.nullMask, ids, n, 1 << j));
          gatherStrings(bytes, offsets, this.arena, this.strStart[j]!, ids, n);
          return utf8Column(offsets, bytes, validity, nulls);
        }
      }
    });
  }

  /** Frees the id of a group for reuse; its key is forgotten. */
  remove(id: number): void {
    if (!this.has(id)) return;
    const slots = this.slots;
    const mask = this.mask;
    let pos = this.hashes[id]! & mask;
    while (slots[pos << 1] !== id + 1) pos = (pos + 1) & mask;
    // Backward-shift deletion: pull later entries of the probe run into the hole when the
    // hole lies between their home slot and where they sit.
    let hole = pos;
    let j = pos;
    for (;;) {
      j = (j + 1) & mask;
      const s = slots[j << 1]!;
      if (s === 0) break;
      const h = slots[(j << 1) + 1]!;
      if (((j - (h & mask)) & mask) >= ((j - hole) & mask)) {
        slots[hole << 1] = s;
        slots[(hole << 1) + 1] = h;
        hole = j;
      }
    }
    slots[hole << 1] = 0;
    this.alive[id] = 0;
    for (let c = 0; c < this.kinds.length; c++) if (this.kinds[c] === 'utf8') this.arenaWaste += this.strLen[c]![id]!;
    if (this.freeCount === this.free.length) {
      const f = new Int32Array(this.free.length * 2);
      f.set(this.free);
      this.free = f;
    }
    this.free[this.freeCount++] = id;
    this.live--;
  }

  /** Forgets every group; ids restart at 0. */
  clear(): void {
    if (this.slots.length > 1 << 16) {
      this.slots = new Int32Array(2 * INITIAL_SLOTS);
      this.mask = INITIAL_SLOTS - 1;
    } else this.slots.fill(0);
    this.alive.fill(0);
    this.live = 0;
    this.highWater = 0;
    this.freeCount = 0;
    this.arenaUsed = 0;
    this.arenaWaste = 0;
  }

  /**
   * @internal Called by the probe loop for a new key: takes an id, places it in empty slot
   * `pos`, stores the key of row `row`, and grows the slots when the load passes 1/2.
   */
  insertAt(pos: number, h: number, cols: readonly Data[], row: number): number {
    const id = this.allocId();
    if (this.createdCount === this.createdIds.length) {
      const a = new Int32Array(this.createdIds.length * 2);
      a.set(this.createdIds);
      this.createdIds = a;
    }
    this.createdIds[this.createdCount++] = id;
    // Before the id is marked alive, so that a compaction does not look at its old key.
    if (this.hasStrings) this.ensureArena(cols, row);
    this.slots[pos << 1] = id + 1;
    this.slots[(pos << 1) + 1] = h;
    this.hashes[id] = h;
    this.alive[id] = 1;
    this.live++;
    let nullMask = 0;
    for (let j = 0; j < this.kinds.length; j++) {
      const d = cols[j]!;
      const kind = this.kinds[j]!;
      const isNull = kind === 'null' || (d.nullCount > 0 && ((d.nullBitmap![row >> 3]! >> (row & 7)) & 1) === 0);
      if (isNull) {
        nullMask |= 1 << j;
        continue;
      }
      switch (kind) {
        case 'f64': {
          const x = (d.values as Float64Array)[row]! + 0;
          this.f64[j]![id] = x;
          break;
        }
        case 'i32':
          this.i32[j]![id] = (d.values as Int32Array)[row]!;
          break;
        case 'bool':
          this.i32[j]![id] = ((d.values as Uint8Array)[row >> 3]! >> (row & 7)) & 1;
          break;
        case 'utf8': {
          const off = d.valueOffsets as Int32Array;
          this.storeString(j, id, d.values as Uint8Array, off[row]!, off[row + 1]!);
          break;
        }
      }
    }
    this.nullMask[id] = nullMask;
    if (this.live * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    return id;
  }

  private allocId(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount]!;
    const id = this.highWater++;
    if (id === this.idCap) this.growIds(this.idCap * 2);
    return id;
  }

  private growIds(cap: number): void {
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      if (a.length === 0) return a;
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.hashes = grow(this.hashes, (n) => new Int32Array(n));
    this.alive = grow(this.alive, (n) => new Uint8Array(n));
    this.nullMask = this.nullMask instanceof Uint8Array ? grow(this.nullMask, (n) => new Uint8Array(n)) : grow(this.nullMask, (n) => new Int32Array(n));
    this.f64 = this.f64.map((a) => grow(a, (n) => new Float64Array(n)));
    this.i32 = this.i32.map((a) => grow(a, (n) => new Int32Array(n)));
    this.strStart = this.strStart.map((a) => grow(a, (n) => new Int32Array(n)));
    this.strLen = this.strLen.map((a) => grow(a, (n) => new Int32Array(n)));
    this.idCap = cap;
  }

  private rehash(size: number): void {
    const old = this.slots;
    const slots = new Int32Array(2 * size);
    const mask = size - 1;
    for (let p = 0; p < old.length; p += 2) {
      const s = old[p]!;
      if (s === 0) continue;
      const h = old[p + 1]!;
      let pos = h & mask;
      while (slots[pos << 1] !== 0) pos = (pos + 1) & mask;
      slots[pos << 1] = s;
      slots[(pos << 1) + 1] = h;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** Makes room in the arena for the string keys of `row`, compacting when half of it is garbage. */
  private ensureArena(cols: readonly Data[], row: number): void {
    let need = 0;
    for (let j = 0; j < this.kinds.length; j++) {
      if (this.kinds[j] !== 'utf8') continue;
      const off = cols[j]!.valueOffsets as Int32Array;
      need += off[row + 1]! - off[row]!;
    }
    if (this.arenaUsed + need <= this.arena.length) return;
    if (this.arenaWaste > this.arenaUsed / 2) this.compactArena();
    if (this.arenaUsed + need <= this.arena.length) return;
    const a = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + need));
    a.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = a;
  }

  private storeString(col: number, id: number, src: Uint8Array, s: number, e: number): void {
    const a = this.arena;
    let p = this.arenaUsed;
    this.strStart[col]![id] = p;
    this.strLen[col]![id] = e - s;
    for (let k = s; k < e; k++) a[p++] = src[k]!;
    this.arenaUsed = p;
  }

  /** Rewrites the arena with the bytes of live ids only. */
  private compactArena(): void {
    const a = new Uint8Array(this.arena.length);
    let p = 0;
    for (let id = 0; id < this.highWater; id++) {
      if (this.alive[id] !== 1) continue;
      for (let c = 0; c < this.kinds.length; c++) {
        if (this.kinds[c] !== 'utf8' || (this.nullMask[id]! >> c) & 1) continue;
        const s = this.strStart[c]![id]!;
        const len = this.strLen[c]![id]!;
        a.set(this.arena.subarray(s, s + len), p);
        this.strStart[c]![id] = p;
        p += len;
      }
    }
    this.arena = a;
    this.arenaUsed = p;
    this.arenaWaste = 0;
  }

  private checkColumns(cols: readonly Data[]): readonly Data[] {
    if (cols.length !== this.kinds.length) {
      throw new SluiceError('INTERNAL', `KeyTable of ${this.kinds.length} key columns probed with ${cols.length}`);
    }
    let out: Data[] | null = null;
    for (let j = 0; j < cols.length; j++) {
      const d = cols[j]!;
      const k = kindOfData(d);
      if (k !== this.kinds[j] && !(k === 'null' && this.kinds[j] !== 'null')) {
        throw new SluiceError('INTERNAL', `KeyTable column ${j} is ${k}, expected ${this.kinds[j]}`);
      }
      if (d.offset !== 0 || k !== this.kinds[j]) {
        out ??= [...cols];
        out[j] = k === 'null' ? this.allNull(j, d.length) : normalizeColumn(d);
      }
    }
    return out ?? cols;
  }

  private allNull(j: number, n: number): Data {
    const b = new ColumnBuilder(this.keyTypes[j]!, n);
    for (let i = 0; i < n; i++) b.appendNull();
    return b.finish();
  }

  private valueColumns(key: readonly Value[]): Data[] {
    return this.keyTypes.map((t, j) => {
      const b = new ColumnBuilder(t, 1);
      b.append(key[j] ?? null);
      return b.finish();
    });
  }
}

// The loops of keyColumns are functions that end at their loop: V8 compiles a long loop on
// stack replacement before the code after it has run, and code after the loop without
// feedback then deoptimized that compiled loop on every call.

/** Sets bit i of `bits` where key column `bit` of ids[i] is not NULL; returns the NULLs. */
function keyValidity(bits: Uint8Array, nullMask: Uint8Array | Int32Array, ids: Int32Array, n: number, bit: number): number {
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if ((nullMask[ids[i]!]! & bit) === 0) bits[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return nulls;
}

function gatherNumbers<T extends Float64Array | Int32Array>(out: T, src: T, ids: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = src[ids[i]!]!;
}

function gatherBits(out: Uint8Array, src: Int32Array, ids: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) if (src[ids[i]!] === 1) out[i >> 3]! |= 1 << (i & 7);
}

/** The offsets of the string keys of ids[0..n) in key column `bit` (a NULL: empty); returns their bytes. */
function stringOffsets(offsets: Int32Array, len: Int32Array, nullMask: Uint8Array | Int32Array, ids: Int32Array, n: number, bit: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if ((nullMask[id]! & bit) === 0) total += len[id]!;
    offsets[i + 1] = total;
  }
  return total;
}

function gatherStrings(bytes: Uint8Array, offsets: Int32Array, arena: Uint8Array, start: Int32Array, ids: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const p = offsets[i]!;
    const l = offsets[i + 1]! - p;
    const s = start[ids[i]!]!;
    if (l <= 32) for (let k = 0; k < l; k++) bytes[p + k] = arena[s + k]!;
    else bytes.set(arena.subarray(s, s + l), p);
  }
}

/**
 * Generates the probe loop for one key signature. Per row: read each key column (null flag
 * and value), fold it into a 32-bit hash, finish with murmur3's fmix32, then probe linearly:
 * a slot whose stored hash matches is checked against the null mask and the keys.
 */
function generateProbe(kinds: readonly PhysicalKind[], insert: boolean): ProbeFn {
  const pre: string[] = ['const F = T.scratchF64, I = T.scratchI32;'];
  const reload: string[] = ['slots = T.slots; mask = T.mask; NM = T.nullMask;'];
  // Per row: read the key (read), then hash it (hash).
  const read: string[] = ['let nm = 0;'];
  const hash: string[] = [];
  // How many lines of `hash` the first key column wrote.
  let firstColumnHashEnd = 0;
  const eq: string[] = ['NM[id] === nm'];
  const mix = (x: string): string => `h = Math.imul(h ^ (${x}), 0x9e3779b1); h ^= h >>> 15;`;
  const decls: string[] = [];
  // Number keys of the previous row: streams often repeat a key in runs (a window end, a
  // session's partition), and a repeat skips hashing and probing.
  const repeatable = kinds.every((k) => k !== 'utf8');
  const prev: string[] = [];
  kinds.forEach((kind, j) => {
    if (j === 1) firstColumnHashEnd = hash.length;
    pre.push(`const c${j} = cols[${j}], v${j} = c${j}.values, bm${j} = c${j}.nullCount > 0 ? c${j}.nullBitmap : null;`);
    if (kind === 'null') {
      read.push(`nm |= ${1 << j};`);
      hash.push(mix('0x7f4a7c15'));
      return;
    }
    read.push(`const n${j} = bm${j} !== null && ((bm${j}[i >> 3] >> (i & 7)) & 1) === 0;`);
    switch (kind) {
      case 'f64':
        decls.push(`K${j}`);
        reload.push(`K${j} = T.f64[${j}];`);
        read.push(`const x${j} = n${j} ? 0 : v${j}[i];`, `if (n${j}) nm |= ${1 << j};`);
        hash.push(
          `if (n${j}) { ${mix('0x7f4a7c15')} }`,
          `else if ((x${j} | 0) === x${j}) { ${mix(`x${j} | 0`)} }`,
          `else if (x${j} !== x${j}) { ${mix('0x3c6ef372')} }`,
          `else { F[0] = x${j}; ${mix('I[0]')} ${mix('I[1]')} }`,
        );
        eq.push(`(n${j} || K${j}[id] === x${j} || (x${j} !== x${j} && K${j}[id] !== K${j}[id]))`);
        prev.push(`x${j}`);
        break;
      case 'i32':
        decls.push(`K${j}`);
        reload.push(`K${j} = T.i32[${j}];`);
        read.push(`const x${j} = n${j} ? 0 : v${j}[i];`, `if (n${j}) nm |= ${1 << j};`);
        hash.push(`if (n${j}) { ${mix('0x7f4a7c15')} } else { ${mix(`x${j}`)} }`);
        eq.push(`(n${j} || K${j}[id] === x${j})`);
        prev.push(`x${j}`);
        break;
      case 'bool':
        decls.push(`K${j}`);
        reload.push(`K${j} = T.i32[${j}];`);
        read.push(`const x${j} = n${j} ? 0 : (v${j}[i >> 3] >> (i & 7)) & 1;`, `if (n${j}) nm |= ${1 << j};`);
        hash.push(mix(`n${j} ? 0x7f4a7c15 : x${j} + 1`));
        eq.push(`(n${j} || K${j}[id] === x${j})`);
        prev.push(`x${j}`);
        break;
      case 'utf8':
        decls.push(`S${j}`, `L${j}`);
        pre.push(`const o${j} = c${j}.valueOffsets;`);
        reload.push(`S${j} = T.strStart[${j}]; L${j} = T.strLen[${j}];`);
        read.push(`const s${j} = o${j}[i], e${j} = o${j}[i + 1];`, `if (n${j}) nm |= ${1 << j};`);
        hash.push(
          `if (n${j}) { ${mix('0x7f4a7c15')} } else {`,
          `  let g = 0x811c9dc5; for (let p = s${j}; p < e${j}; p++) g = Math.imul(g ^ v${j}[p], 0x01000193);`,
          `  ${mix(`g ^ (e${j} - s${j})`)} }`,
        );
        eq.push(`(n${j} || (L${j}[id] === e${j} - s${j} && eqBytes(A, S${j}[id], v${j}, s${j}, e${j} - s${j})))`);
        break;
    }
  });
  if (!repeatable) reload.push('A = T.arena;');
  const remember = repeatable ? `pid = out[i]; pnm = nm; ${prev.map((x, j) => `p${j} = ${x};`).join(' ')}` : '';
  const onEmpty = insert
    ? `out[i] = T.insertAt(pos, h, cols, i); created++; ${reload.join(' ')} break;`
    : 'out[i] = -1; break;';
  const repeat = repeatable
    ? `if (pid >= 0 && nm === pnm${prev.map((x, j) => ` && ${x} === p${j}`).join('')}) { out[i] = pid; continue; }`
    : '';
  // The first key column's share of the hash, kept while its value repeats: a window
  // aggregate's first key is the window end, the same for long runs of rows.
  const cacheFirst = kinds.length > 1 && (kinds[0] === 'f64' || kinds[0] === 'i32');
  const hashCode = cacheFirst
    ? [
        'let h;',
        `if (!n0 && x0 === hx0) h = hh0;`,
        `else { h = 0x2545f491; ${hash.slice(0, firstColumnHashEnd).join(' ')} if (!n0) { hx0 = x0; hh0 = h; } }`,
        ...hash.slice(firstColumnHashEnd),
      ]
    : ['let h = 0x2545f491;', ...hash];
  const src = `
return function probe(T, cols, n, out) {
  ${pre.join('\n  ')}
  let slots, mask, NM, A${decls.map((d) => `, ${d}`).join('')};
  ${reload.join('\n  ')}
  let created = 0;
  let hx0 = NaN, hh0 = 0;
  let pid = -1, pnm = 0${prev.map((_, j) => `, p${j} = 0`).join('')};
  for (let i = 0; i < n; i++) {
    ${read.join('\n    ')}
    ${repeat}
    ${hashCode.join('\n    ')}
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
    let pos = h & mask;
    for (;;) {
      const s = slots[pos << 1];
      if (s === 0) { ${onEmpty} }
      if (slots[(pos << 1) + 1] === h) {
        const id = s - 1;
        if (${eq.join(' && ')}) { out[i] = id; break; }
      }
      pos = (pos + 1) & mask;
    }
    ${remember}
  }
  return created;
};`;
  return new Function('eqBytes', src)(eqBytes) as ProbeFn;
}
