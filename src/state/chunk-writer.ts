/**
 * Appends sluice columns to a DuckDB table in data chunks of up to 2048 rows, the fast way
 * into DuckDB. Numbers are written straight into the vectors' buffers (BIGINT and TIMESTAMP
 * as 64-bit integers through a 32-bit view, so no BigInt is created per value), strings
 * from their UTF-8 bytes; dates and intervals go through the vectors' setters. A column
 * without NULLs of the common types is copied into DuckDB's vector without the API's
 * JS-side copy of it (writeRaw).
 */
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBIntervalValue,
  INTEGER,
  INTERVAL,
  TIMESTAMP,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBType,
  type DuckDBVector,
} from './duckdb-api.js';
import bindings, { type Vector } from '@duckdb/node-bindings';
import type { Data } from 'apache-arrow';
import type { SqlType } from '../types.js';
import type { ColumnBuilder } from '../exec/batch.js';
import { isDecimal, MAX_UNSCALED, overflowError, precisionOf, scaleOf, type DecimalType } from '../decimal.js';
import { SluiceError } from '../errors.js';

export const CHUNK_ROWS = 2048;
/**
 * Chunks an appender takes between flushes into its table: a DuckDB row group (122,880
 * rows). Flushing every 16 chunks cost 40% more CPU (DuckDB appends to a part-filled row
 * group at each flush), and more rows held would only hold more memory.
 */
const FLUSH_CHUNKS = 60;

export function duckType(t: SqlType): DuckDBType {
  switch (t) {
    case 'BOOLEAN':
      return BOOLEAN;
    case 'INT':
      return INTEGER;
    case 'BIGINT':
      return BIGINT;
    case 'DOUBLE':
      return DOUBLE;
    case 'VARCHAR':
    case 'NULL':
      return VARCHAR;
    case 'TIMESTAMP':
      return TIMESTAMP;
    case 'DATE':
      return DATE;
    case 'INTERVAL':
      return INTERVAL;
    default:
      return DECIMAL(precisionOf(t), scaleOf(t));
  }
}

/** The DuckDB type name of a SQL type, for CREATE TABLE. */
export function duckTypeName(t: SqlType): string {
  return t === 'INT' ? 'INTEGER' : t === 'NULL' ? 'VARCHAR' : t;
}

interface VectorInternals {
  items?: Float64Array | Int32Array | BigInt64Array;
  validity: { setItemValid(i: number, valid: boolean): void };
  setItem(i: number, v: unknown): void;
  flush(): void;
}

/** A column to append: sluice column data of a SQL type, or plain numbers (offsets, times). */
export type ChunkColumn = { readonly type: SqlType; readonly data: Data } | { readonly type: 'BIGINT' | 'TIMESTAMP' | 'DOUBLE'; readonly numbers: Float64Array };

/**
 * The validity bits of a column to write: null when every row is valid, 'all-null' for a
 * column of the NULL type (read once per column, not per value: Data.nullCount is a getter).
 */
function validityOf(data: Data | null): Uint8Array | null | 'all-null' {
  if (data === null) return null;
  if (data.typeId === 1 /* Null */) return 'all-null';
  const bm = data.nullBitmap;
  return data.nullCount > 0 && bm !== undefined && bm.length > 0 ? bm : null;
}

/** Writes the whole number x as the 64-bit integer at index i of `words` (two 32-bit words, little-endian). */
function putInt64(words: Int32Array, i: number, x: number): void {
  if ((x | 0) === x) {
    // Most counts and ids fit 32 bits: the high word is the sign.
    words[2 * i] = x;
    words[2 * i + 1] = x >> 31;
  } else {
    // Times 2^-32 is exact (a power of two), and cheaper than the division.
    const hi = Math.floor(x * 2.3283064365386963e-10);
    words[2 * i] = (x - hi * 4294967296) | 0;
    words[2 * i + 1] = hi | 0;
  }
}

/** Writes rows [from, from + n) of `col` into vector rows [to, to + n); the caller flushes. */
function writeColumn(vector: DuckDBVector, col: ChunkColumn, from: number, n: number, to: number): void {
  const v = vector as unknown as VectorInternals;
  const numbers = 'numbers' in col ? col.numbers : null;
  const data = 'data' in col ? col.data : null;
  const type = col.type;
  const bits = validityOf(data);
  const valid = (r: number) => bits === null || (bits !== 'all-null' && ((bits[r >> 3]! >> (r & 7)) & 1) === 1);
  if (bits === 'all-null') {
    for (let i = 0; i < n; i++) v.setItem(to + i, null);
    return;
  }
  switch (type) {
    case 'DOUBLE':
    case 'INT': {
      const items = v.items as Float64Array | Int32Array;
      const src = (numbers ?? (data!.values as Float64Array | Int32Array));
      if (bits === null) {
        items.set(src.subarray(from, from + n), to);
        break;
      }
      for (let i = 0; i < n; i++) {
        if (valid(from + i)) items[to + i] = src[from + i]!;
        else v.validity.setItemValid(to + i, false);
      }
      break;
    }
    case 'BIGINT':
    case 'TIMESTAMP': {
      const items = v.items as BigInt64Array;
      const words = new Int32Array(items.buffer, items.byteOffset + to * 8, n * 2);
      const src = numbers ?? (data!.values as Float64Array);
      const scale = type === 'TIMESTAMP' ? 1000 : 1;
      for (let i = 0; i < n; i++) {
        if (bits !== null && !valid(from + i)) {
          v.validity.setItemValid(to + i, false);
          continue;
        }
        putInt64(words, i, Math.trunc(src[from + i]! * scale));
      }
      break;
    }
    case 'VARCHAR':
    case 'NULL': {
      if (type === 'NULL') {
        for (let i = 0; i < n; i++) v.setItem(to + i, null);
        break;
      }
      writeUtf8(vector, data!, from, n, to, bits);
      break;
    }
    case 'BOOLEAN': {
      const b = data!.values as Uint8Array;
      for (let i = 0; i < n; i++) {
        const r = from + i;
        v.setItem(to + i, valid(r) ? ((b[r >> 3]! >> (r & 7)) & 1) === 1 : null);
      }
      break;
    }
    case 'DATE': {
      const src = data!.values as Float64Array;
      for (let i = 0; i < n; i++) v.setItem(to + i, valid(from + i) ? new DuckDBDateValue(src[from + i]!) : null);
      break;
    }
    case 'INTERVAL': {
      const src = data!.values as Float64Array;
      for (let i = 0; i < n; i++) {
        v.setItem(to + i, valid(from + i) ? new DuckDBIntervalValue(0, 0, BigInt(Math.round(src[from + i]! * 1000))) : null);
      }
      break;
    }
    default:
      writeDecimal(vector, type, numbers ?? (data!.values as Float64Array), from, n, to, valid, bits === null);
  }
}

/**
 * Writes unscaled DECIMAL values into the vector's buffer at DuckDB's width for the
 * precision (int16 ≤ 4 digits, int32 ≤ 9, int64 ≤ 18, else int128 as two 64-bit halves),
 * the 64-bit words through a 32-bit view: exact, never a double divided by 10^s.
 */
function writeDecimal(
  vector: DuckDBVector,
  type: DecimalType,
  src: Float64Array,
  from: number,
  n: number,
  to: number,
  valid: (r: number) => boolean,
  allValid: boolean,
): void {
  const v = vector as unknown as VectorInternals & { dataView: DataView };
  const view = v.dataView;
  const p = precisionOf(type);
  const size = p <= 4 ? 2 : p <= 9 ? 4 : p <= 18 ? 8 : 16;
  for (let i = 0; i < n; i++) {
    if (!allValid && !valid(from + i)) {
      v.validity.setItemValid(to + i, false);
      continue;
    }
    const x = src[from + i]!;
    if (!(x <= MAX_UNSCALED && x >= -MAX_UNSCALED)) throw overflowError(`a value ${x}`, type);
    const at = (to + i) * size;
    if (size === 2) view.setInt16(at, x, true);
    else if (size === 4) view.setInt32(at, x, true);
    else {
      const hi = Math.floor(x * 2.3283064365386963e-10);
      view.setInt32(at, (x - hi * 4294967296) | 0, true);
      view.setInt32(at + 4, hi | 0, true);
      if (size === 16) {
        const sign = x < 0 ? -1 : 0;
        view.setInt32(at + 8, sign, true);
        view.setInt32(at + 12, sign, true);
      }
    }
    if (!allValid) v.validity.setItemValid(to + i, true);
  }
}

/** Reads one unscaled DECIMAL of a vector (the width as written by writeDecimal); throws when beyond 2^53. */
function readDecimal(view: DataView, i: number, type: DecimalType): number {
  const p = precisionOf(type);
  if (p <= 4) return view.getInt16(i * 2, true);
  if (p <= 9) return view.getInt32(i * 4, true);
  const at = i * (p <= 18 ? 8 : 16);
  const lo = view.getUint32(at, true);
  const hi = view.getInt32(at + 4, true);
  const x = hi * 4294967296 + lo;
  if (p > 18) {
    const sign = x < 0 ? -1 : 0;
    if (view.getInt32(at + 8, true) !== sign || view.getInt32(at + 12, true) !== sign) throw overflowError('a stored value', type);
  }
  if (!(x <= MAX_UNSCALED && x >= -MAX_UNSCALED)) throw overflowError('a stored value', type);
  return x;
}

/** Scratch of writeUtf8: the rows with a long string and where its bytes start. */
const longRows = new Int32Array(CHUNK_ROWS);
const longAt = new Float64Array(CHUNK_ROWS);

/**
 * Writes UTF-8 strings straight from Arrow's buffers, never as JS strings, into 16-byte
 * slots (DuckDB's string_t: the length, then up to 12 bytes inline, zero-padded; a longer
 * string: the length, its first 4 bytes and a pointer to its bytes). The slots are built in
 * the vector's JS-side copy and copied over in one native call. The bytes of the rows'
 * strings, contiguous in Arrow's buffer, go to DuckDB as one string (one native call where
 * one per long string cost most of the write of a view of URLs); each long string's slot
 * then points into it. The vector's string heap keeps those bytes until the appender has
 * copied the chunk.
 */
function writeUtf8(vector: DuckDBVector, data: Data, from: number, n: number, to: number, bits: Uint8Array | null): void {
  const v = vector as unknown as VectorInternals & { vector: Vector };
  writeUtf8Slots(v.vector, data, from, n, to, bits === null ? null : { bits, set: (row) => v.validity.setItemValid(row, false) });
}

/** Scratch of writeUtf8Slots: the slots of the rows being written, the first at 0. */
const slotView = new DataView(new ArrayBuffer(CHUNK_ROWS * 16));
const slotBytes = new Uint8Array(slotView.buffer);

/**
 * writeUtf8's work on vector rows [to, to + n) of a raw vector: the slots are laid out in a
 * scratch and copied over in one call (the API's vector flushes only its validity and the
 * strings set through it, never its slots); `nulls` marks a NULL row (none when null).
 */
function writeUtf8Slots(raw: Vector, data: Data, from: number, n: number, to: number, nulls: { bits: Uint8Array; set: (row: number) => void } | null): void {
  const view = slotView;
  const off = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const first = off[from]!;
  const long = layOutSlots(off, bytes, from, n, to, nulls);
  const base = long > 1 ? heapPointer(raw, to, bytes.subarray(first, off[from + n]!)) : null;
  if (base !== null) {
    // 64-bit pointers as two 32-bit words: the bytes' address + the string's place in them.
    const lo = base[0]!;
    const hi = base[1]!;
    for (let k = 0; k < long; k++) {
      const at = longRows[k]! * 16;
      const p = lo + longAt[k]!;
      const carry = p >= 4294967296 ? 1 : 0;
      view.setUint32(at + 8, p - carry * 4294967296, true);
      view.setUint32(at + 12, hi + carry, true);
    }
  }
  bindings.copy_data_to_vector(raw, to * 16, view.buffer as ArrayBuffer, 0, n * 16);
  if (base !== null) return;
  for (let k = 0; k < long; k++) {
    const r = from + longRows[k]!;
    bindings.vector_assign_string_element_len(raw, to + longRows[k]!, bytes.subarray(off[r]!, off[r + 1]!));
  }
}

/**
 * The slots of rows [from, from + n) of a Utf8 column into slotBytes (length and inline bytes,
 * or length and prefix for a long string, whose row and place go to longRows/longAt); returns
 * how many are long. A function that ends at its loop: compiled on stack replacement inside
 * writeUtf8Slots, the code after the loop deoptimized it on every call (q18: 618 a run).
 */
function layOutSlots(off: Int32Array, bytes: Uint8Array, from: number, n: number, to: number, nulls: { bits: Uint8Array; set: (row: number) => void } | null): number {
  const view = slotView;
  const slots = slotBytes;
  const bits = nulls?.bits ?? null;
  slots.fill(0, 0, n * 16);
  const first = off[from]!;
  let long = 0;
  for (let i = 0; i < n; i++) {
    const r = from + i;
    const at = i * 16;
    if (bits !== null && ((bits[r >> 3]! >> (r & 7)) & 1) === 0) {
      nulls!.set(to + i);
      continue;
    }
    const start = off[r]!;
    const len = off[r + 1]! - start;
    view.setUint32(at, len, true);
    if (len > 12) {
      for (let k = 0; k < 4; k++) slots[at + 4 + k] = bytes[start + k]!;
      longRows[long] = i;
      longAt[long++] = start - first;
      continue;
    }
    for (let k = 0; k < len; k++) slots[at + 4 + k] = bytes[start + k]!;
  }
  return long;
}

/**
 * Hands `heap` to DuckDB as one string stored at vector row `to` (whose slot the caller
 * overwrites) and returns the address of its bytes as [low, high] 32-bit words; null when
 * the slot DuckDB wrote is not laid out as expected (the caller then assigns the strings
 * one by one).
 */
function heapPointer(vector: Vector, to: number, heap: Uint8Array): Uint32Array | null {
  bindings.vector_assign_string_element_len(vector, to, heap);
  const slot = bindings.vector_get_data(vector, (to + 1) * 16);
  const words = new DataView(slot.buffer, slot.byteOffset + to * 16, 16);
  if (heap.length <= 12 || words.getUint32(0, true) !== heap.length) return null;
  for (let k = 0; k < 4; k++) if (slot[to * 16 + 4 + k] !== heap[k]) return null;
  return Uint32Array.of(words.getUint32(8, true), words.getUint32(12, true));
}

/** Scratch of a raw BIGINT/TIMESTAMP write: 64-bit values as pairs of 32-bit words. */
const rawWords = new Int32Array(CHUNK_ROWS * 2);

/**
 * Writes rows [from, from + n) of `col` into rows [to, to + n) of a raw vector, without the
 * API's JS-side vector (whose creation copies the whole vector out of DuckDB first, for every
 * chunk and column): DOUBLE and INT straight from the column's buffer, BIGINT and TIMESTAMP
 * through a scratch, VARCHAR as writeUtf8 does. Only for a column without NULLs of those
 * types; false (nothing written) otherwise.
 */
function writeRaw(raw: Vector, col: ChunkColumn, from: number, n: number, to: number): boolean {
  const numbers = 'numbers' in col ? col.numbers : null;
  const data = 'data' in col ? col.data : null;
  if (data !== null && validityOf(data) !== null) return false;
  switch (col.type) {
    case 'DOUBLE':
    case 'INT': {
      const src = numbers ?? (data!.values as Float64Array | Int32Array);
      const w = src.BYTES_PER_ELEMENT;
      bindings.copy_data_to_vector(raw, to * w, src.buffer as ArrayBuffer, src.byteOffset + from * w, n * w);
      return true;
    }
    case 'BIGINT':
    case 'TIMESTAMP': {
      const src = numbers ?? (data!.values as Float64Array);
      const scale = col.type === 'TIMESTAMP' ? 1000 : 1;
      const words = rawWords;
      for (let i = 0; i < n; i++) putInt64(words, i, Math.trunc(src[from + i]! * scale));
      bindings.copy_data_to_vector(raw, to * 8, words.buffer, 0, n * 8);
      return true;
    }
    case 'VARCHAR':
      writeUtf8Slots(raw, data!, from, n, to, null);
      return true;
    default:
      return false;
  }
}

/** Rows given column-wise (every part has the table's columns in order). */
export interface ChunkPart {
  readonly columns: readonly ChunkColumn[];
  readonly n: number;
}

/**
 * Appends parts to an open appender in full chunks: small parts (a view's output batches)
 * share a chunk, as each chunk costs a native call per column.
 */
export function appendColumns(appender: DuckDBAppender, parts: readonly ChunkPart[]): void {
  const first = parts.find((p) => p.n > 0);
  if (!first) return;
  const types = first.columns.map((c) => duckType(c.type));
  const total = parts.reduce((a, p) => a + p.n, 0);
  let chunk: DuckDBDataChunk | null = null;
  // One chunk is reused (the appender copies what it takes): a chunk per 2048 rows held its
  // native memory until the JS side was collected, hundreds of MB for a view's backlog.
  let spare = null as DuckDBDataChunk | null;
  let shipped = 0;
  let filled = 0;
  let left = total;
  // Per column of the chunk being filled: its raw vector, and whether its JS-side vector is
  // in use (then every write to it in this chunk goes there, as its flush copies all of it).
  const raw: Vector[] = new Array(types.length);
  const wrapped = new Uint8Array(types.length);
  const ship = () => {
    for (let j = 0; j < types.length; j++) if (wrapped[j] === 1) (chunk!.getColumnVector(j) as unknown as VectorInternals).flush();
    appender.appendDataChunk(chunk!);
    spare = chunk;
    chunk = null;
    // The appender keeps what it took until flushed: flushing as it goes bounds that copy.
    if (++shipped % FLUSH_CHUNKS === 0) appender.flushSync();
  };
  for (const p of parts) {
    for (let from = 0; from < p.n; ) {
      if (chunk === null) {
        const rows = Math.min(CHUNK_ROWS, left);
        if (spare === null) chunk = DuckDBDataChunk.create(types, rows);
        else {
          chunk = spare;
          spare = null;
          chunk.reset();
          // Setting the size also drops the chunk's cached JS vectors, read again for the new rows.
          chunk.rowCount = rows;
        }
        filled = 0;
        for (let j = 0; j < types.length; j++) raw[j] = bindings.data_chunk_get_vector(chunk.chunk, j);
        wrapped.fill(0);
      }
      const m = Math.min(CHUNK_ROWS - filled, p.n - from, left);
      for (let j = 0; j < types.length; j++) {
        const c = p.columns[j]!;
        if (wrapped[j] === 0 && writeRaw(raw[j]!, c, from, m, filled)) continue;
        wrapped[j] = 1;
        writeColumn(chunk.getColumnVector(j), c, from, m, filled);
      }
      from += m;
      filled += m;
      left -= m;
      if (filled === chunk.rowCount) ship();
    }
  }
}

interface ReadableVector {
  items?: Float64Array | Int32Array | BigInt64Array;
  validity: { itemValid(i: number): boolean };
  getItem(i: number): unknown;
  readonly itemCount: number;
}

/**
 * Reads one DuckDB vector into a sluice column of `type` (the reverse of writeColumn):
 * numbers straight from the vector's buffer, BIGINT and TIMESTAMP through a 32-bit view.
 */
export function readVector(vector: DuckDBVector, type: SqlType, into: ColumnBuilder): void {
  const v = vector as unknown as ReadableVector;
  const n = v.itemCount;
  switch (type) {
    case 'DOUBLE':
    case 'INT': {
      const items = v.items as Float64Array | Int32Array;
      for (let i = 0; i < n; i++) {
        if (v.validity.itemValid(i)) into.appendNumber(items[i]!);
        else into.appendNull();
      }
      return;
    }
    case 'BIGINT':
    case 'TIMESTAMP': {
      const items = v.items as BigInt64Array;
      const words = new Int32Array(items.buffer, items.byteOffset, n * 2);
      const scale = type === 'TIMESTAMP' ? 1000 : 1;
      for (let i = 0; i < n; i++) {
        if (!v.validity.itemValid(i)) {
          into.appendNull();
          continue;
        }
        const x = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
        into.appendNumber(scale === 1 ? x : Math.floor(x / scale));
      }
      return;
    }
    default:
      if (isDecimal(type)) {
        const view = (vector as unknown as { dataView?: DataView }).dataView;
        if (view === undefined) throw new SluiceError('INTERNAL', `a ${type} column is not stored as a DECIMAL`);
        for (let i = 0; i < n; i++) {
          if (v.validity.itemValid(i)) into.appendNumber(readDecimal(view, i, type));
          else into.appendNull();
        }
        return;
      }
      for (let i = 0; i < n; i++) {
        const x = v.getItem(i);
        if (x === null || x === undefined) into.appendNull();
        else if (type === 'DATE') into.appendNumber((x as { days: number }).days);
        else if (type === 'INTERVAL') {
          const iv = x as { months: number; days: number; micros: bigint };
          into.appendNumber((iv.months * 30 + iv.days) * 86_400_000 + Number(iv.micros / 1000n));
        } else into.append(x as string | boolean);
      }
  }
}

/**
 * Appends rows of VARCHAR columns given as JS strings (null: NULL), each string going to
 * DuckDB once, without the detour through Arrow's UTF-8 buffers appendColumns takes.
 */
export function appendStrings(appender: DuckDBAppender, columns: readonly (readonly (string | null)[])[], n: number): void {
  const types = columns.map(() => VARCHAR);
  for (let from = 0; from < n; from += CHUNK_ROWS) {
    const m = Math.min(CHUNK_ROWS, n - from);
    const chunk = DuckDBDataChunk.create(types, m);
    for (let j = 0; j < columns.length; j++) {
      const v = chunk.getColumnVector(j) as unknown as VectorInternals;
      const col = columns[j]!;
      for (let i = 0; i < m; i++) v.setItem(i, col[from + i]!);
      v.flush();
    }
    appender.appendDataChunk(chunk);
  }
}
