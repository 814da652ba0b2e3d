/**
 * The unit of data between operators: an Arrow RecordBatch plus the per-row facts a
 * streaming engine needs beside the values (the change kind, the watermark each row
 * arrived under, and where it came from).
 *
 * Physical layout of a column by SQL type (Arrow Data, offset always 0):
 * BOOLEAN → Bool (bit-packed); INT → Int32; BIGINT, DOUBLE, TIMESTAMP (epoch ms), DATE
 * (epoch days), INTERVAL (ms), DECIMAL (the unscaled integer) → Float64; VARCHAR → Utf8; NULL → Null. Each field's metadata
 * `sluice.type` keeps the SQL type. Validity is Arrow's LSB bitmap (empty when no nulls).
 */
import {
  Bool,
  Field,
  Float64,
  Int32,
  Null,
  RecordBatch,
  Schema as ArrowSchema,
  Struct,
  Utf8,
  type Data,
  type DataType,
} from './arrow.js';
import type { Column, Schema, SqlType, Value } from '../types.js';
import { boolColumn, columnOf, float64Column, int32Column, nullColumn, utf8Column } from './vector/columns.js';

/** Change kinds, as Flink's RowKind. */
export const OP_INSERT = 0;
export const OP_UPDATE_BEFORE = 1;
export const OP_UPDATE_AFTER = 2;
export const OP_DELETE = 3;
export type OpName = '+I' | '-U' | '+U' | '-D';
export const OP_NAMES: readonly OpName[] = ['+I', '-U', '+U', '-D'];

/** True for -U and -D: the row leaves the result. */
export function isRetraction(op: number): boolean {
  return op === OP_UPDATE_BEFORE || op === OP_DELETE;
}

/** Where the rows of a batch came from, for late-event and dead-letter records. */
export interface Origin {
  readonly source: string;
  /** The source offset of each row. */
  readonly offsets: Float64Array;
}

export interface ChangeBatch {
  readonly data: RecordBatch;
  readonly length: number;
  /** The change kind of each row (OP_*); null when every row is an insert (append-only). */
  readonly ops: Uint8Array | null;
  /**
   * The watermark in effect on this edge when each row arrived (rows are judged late against
   * it); null when it is `wmConst` for every row.
   */
  readonly wm: Float64Array | null;
  readonly wmConst: number;
  readonly origin: Origin | null;
}

/** The physical Arrow type of a SQL type. */
export function arrowType(t: SqlType): DataType {
  switch (t) {
    case 'BOOLEAN':
      return new Bool();
    case 'INT':
      return new Int32();
    case 'VARCHAR':
      return new Utf8();
    case 'NULL':
      return new Null();
    case 'BIGINT':
    case 'DOUBLE':
    case 'TIMESTAMP':
    case 'DATE':
    case 'INTERVAL':
      return new Float64();
    default:
      // DECIMAL: the unscaled integer (src/decimal.ts), exact as BIGINT is.
      return new Float64();
  }
}

/** The Arrow schema of a sluice schema (built once per operator, reused for every batch). */
export function arrowSchema(schema: Schema): ArrowSchema {
  return new ArrowSchema(schema.map((c) => new Field(c.name, arrowType(c.type), true, new Map([['sluice.type', c.type]]))));
}

/** Per schema, the struct type of its batches and an empty batch to copy (see makeRecordBatch). */
const batchTemplates = new WeakMap<ArrowSchema, { readonly type: InstanceType<typeof Struct>; readonly empty: RecordBatch }>();

/**
 * Rows an operator's scratch arrays start with room for: a batch of the default batch_size.
 * One grown on a new operator's first batch grows in code V8 compiled for an earlier
 * operator, whose first calls ran before feedback was collected, and that deoptimizes it (a
 * second query's first run).
 */
export const SCRATCH_ROWS = 8192;

/** Builds a RecordBatch from finished columns. */
export function makeRecordBatch(schema: ArrowSchema, columns: readonly Data[], length: number): RecordBatch {
  let t = batchTemplates.get(schema);
  if (t === undefined) {
    // An undefined data argument: Arrow's constructor makes empty columns.
    t = { type: new Struct(schema.fields), empty: new RecordBatch(schema, undefined as never) };
    batchTemplates.set(schema, t);
  }
  const struct = columnOf(t.type, length, 0, null, undefined, undefined, columns as Data[]) as Data<InstanceType<typeof Struct>>;
  for (const c of columns) if (c.length !== length) return new RecordBatch(schema, struct);
  // Columns of the batch's length: Arrow's constructor would copy the schema and the struct
  // (ensureSameLengthData), which costs more than the rest of a small operator's batch. A
  // copy of the schema's empty batch (its own fields, whatever Arrow's build names them)
  // with this data is the batch the constructor would make.
  const batch = Object.assign(Object.create(RecordBatch.prototype) as object, t.empty) as { data: Data };
  batch.data = struct;
  return batch as unknown as RecordBatch;
}

/** The columns of a batch. */
export function columnsOf(b: ChangeBatch | RecordBatch): readonly Data[] {
  const rb = b instanceof RecordBatch ? b : b.data;
  return rb.data.children;
}

export function appendOnlyBatch(
  data: RecordBatch,
  wm: Float64Array | null,
  wmConst: number,
  origin: Origin | null = null,
): ChangeBatch {
  return { data, length: data.numRows, ops: null, wm, wmConst, origin };
}

/** The watermark row `i` of `b` arrived under. */
export function rowWatermark(b: ChangeBatch, i: number): number {
  return b.wm === null ? b.wmConst : b.wm[i]!;
}

/** True when row i of `d` is valid (not NULL). */
export function isValid(d: Data, i: number): boolean {
  if (d.typeId === 1 /* Null */) return false;
  const bm = d.nullBitmap;
  if (d.nullCount === 0 || bm === undefined || bm.length === 0) return true;
  return ((bm[i >> 3]! >> (i & 7)) & 1) === 1;
}

const decoder = new TextDecoder();

/** Decodes bytes [start, end) of a UTF-8 buffer; ASCII without TextDecoder (much faster for short strings). */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 32) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i]! > 127) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      let s = '';
      for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
      return s;
    }
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** Reads one value (slow path: output, pull results, tests). */
export function readValue(d: Data, i: number, type: SqlType): Value {
  if (!isValid(d, i)) return null;
  switch (type) {
    case 'BOOLEAN': {
      const v = d.values as Uint8Array;
      return ((v[i >> 3]! >> (i & 7)) & 1) === 1;
    }
    case 'VARCHAR': {
      const off = d.valueOffsets as Int32Array;
      return decodeUtf8(d.values as Uint8Array, off[i]!, off[i + 1]!);
    }
    case 'NULL':
      return null;
    default:
      return (d.values as Float64Array | Int32Array)[i]!;
  }
}

/** Growable column of one SQL type, finished into an Arrow Data. */
export class ColumnBuilder {
  readonly type: SqlType;
  length = 0;
  private nulls = 0;
  private bitmap: Uint8Array;
  private f64: Float64Array | null = null;
  private i32: Int32Array | null = null;
  private bits: Uint8Array | null = null;
  private offsets: Int32Array | null = null;
  private bytes: Uint8Array | null = null;
  private byteLength = 0;
  private capacity: number;

  constructor(type: SqlType, capacity = 1024) {
    this.type = type;
    this.capacity = Math.max(8, capacity);
    this.bitmap = new Uint8Array((this.capacity + 7) >> 3);
    switch (type) {
      case 'BOOLEAN':
        this.bits = new Uint8Array((this.capacity + 7) >> 3);
        break;
      case 'INT':
        this.i32 = new Int32Array(this.capacity);
        break;
      case 'VARCHAR':
        this.offsets = new Int32Array(this.capacity + 1);
        this.bytes = new Uint8Array(this.capacity * 8);
        break;
      case 'NULL':
        break;
      default:
        this.f64 = new Float64Array(this.capacity);
    }
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const bm = new Uint8Array((cap + 7) >> 3);
    bm.set(this.bitmap);
    this.bitmap = bm;
    if (this.f64) {
      const a = new Float64Array(cap);
      a.set(this.f64);
      this.f64 = a;
    }
    if (this.i32) {
      const a = new Int32Array(cap);
      a.set(this.i32);
      this.i32 = a;
    }
    if (this.bits) {
      const a = new Uint8Array((cap + 7) >> 3);
      a.set(this.bits);
      this.bits = a;
    }
    if (this.offsets) {
      const a = new Int32Array(cap + 1);
      a.set(this.offsets);
      this.offsets = a;
    }
    this.capacity = cap;
  }

  appendNull(): void {
    if (this.length === this.capacity) this.grow();
    this.nulls++;
    if (this.offsets) this.offsets[this.length + 1] = this.byteLength;
    this.length++;
  }

  /** Appends a number (INT, BIGINT, DOUBLE, TIMESTAMP ms, DATE days, INTERVAL ms). */
  appendNumber(v: number): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.bitmap[i >> 3]! |= 1 << (i & 7);
    if (this.f64) this.f64[i] = v;
    else if (this.i32) this.i32[i] = v;
    else throw new Error(`appendNumber on a ${this.type} column`);
  }

  appendBoolean(v: boolean): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.bitmap[i >> 3]! |= 1 << (i & 7);
    if (v) this.bits![i >> 3]! |= 1 << (i & 7);
  }

  appendString(s: string): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.bitmap[i >> 3]! |= 1 << (i & 7);
    // Worst case 3 bytes per UTF-16 unit.
    const need = this.byteLength + s.length * 3;
    if (need > this.bytes!.length) {
      const b = new Uint8Array(Math.max(need, this.bytes!.length * 2));
      b.set(this.bytes!.subarray(0, this.byteLength));
      this.bytes = b;
    }
    const bytes = this.bytes!;
    let p = this.byteLength;
    let ascii = true;
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c > 127) {
        ascii = false;
        break;
      }
      bytes[p++] = c;
    }
    if (!ascii) p = this.byteLength + encoder.encodeInto(s, bytes.subarray(this.byteLength)).written;
    this.byteLength = p;
    this.offsets![i + 1] = p;
  }

  /** Appends raw UTF-8 bytes (copying strings between columns without decoding). */
  appendUtf8(src: Uint8Array, start: number, end: number): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.bitmap[i >> 3]! |= 1 << (i & 7);
    const n = end - start;
    if (this.byteLength + n > this.bytes!.length) {
      const b = new Uint8Array(Math.max(this.byteLength + n, this.bytes!.length * 2));
      b.set(this.bytes!.subarray(0, this.byteLength));
      this.bytes = b;
    }
    const bytes = this.bytes!;
    // A byte loop beats the subarray a set() needs for short strings (Top-N emits rows a value at a time).
    if (n <= 32) for (let k = 0, p = this.byteLength; k < n; k++) bytes[p + k] = src[start + k]!;
    else bytes.set(src.subarray(start, end), this.byteLength);
    this.byteLength += n;
    this.offsets![i + 1] = this.byteLength;
  }

  /** Appends any value of this column's type (slow path). */
  append(v: Value): void {
    if (v === null) this.appendNull();
    else if (this.type === 'VARCHAR') this.appendString(String(v));
    else if (this.type === 'BOOLEAN') this.appendBoolean(Boolean(v));
    else if (this.type === 'NULL') this.appendNull();
    else this.appendNumber(Number(v));
  }

  /** Copies row i of `d` (a column of the same type). */
  appendFrom(d: Data, i: number): void {
    if (!isValid(d, i)) return this.appendNull();
    switch (this.type) {
      case 'VARCHAR': {
        const off = d.valueOffsets as Int32Array;
        return this.appendUtf8(d.values as Uint8Array, off[i]!, off[i + 1]!);
      }
      case 'BOOLEAN':
        return this.appendBoolean((((d.values as Uint8Array)[i >> 3]! >> (i & 7)) & 1) === 1);
      case 'NULL':
        return this.appendNull();
      default:
        return this.appendNumber((d.values as Float64Array | Int32Array)[i]!);
    }
  }

  /** Finishes the column; the builder is reset and can be reused. */
  finish(): Data {
    const n = this.length;
    const nullCount = this.nulls;
    const nullBitmap = nullCount === 0 ? null : this.bitmap.slice(0, (n + 7) >> 3);
    let d: Data;
    switch (this.type) {
      case 'BOOLEAN':
        d = boolColumn(this.bits!.slice(0, (n + 7) >> 3), n, nullBitmap, nullCount);
        break;
      case 'INT':
        d = int32Column(this.i32!.slice(0, n), nullBitmap, nullCount);
        break;
      case 'VARCHAR':
        d = utf8Column(this.offsets!.slice(0, n + 1), this.bytes!.slice(0, this.byteLength), nullBitmap, nullCount);
        break;
      case 'NULL':
        d = nullColumn(n);
        break;
      default:
        d = float64Column(this.f64!.slice(0, n), nullBitmap, nullCount);
    }
    this.reset();
    return d;
  }

  reset(): void {
    this.length = 0;
    this.nulls = 0;
    this.byteLength = 0;
    this.bitmap.fill(0);
    if (this.bits) this.bits.fill(0);
  }
}

const encoder = new TextEncoder();

/** Builds a whole batch row by row (slow paths: INSERT VALUES, plain-object inserts, tests). */
export function batchFromRows(schema: Schema, rows: readonly (readonly Value[])[]): RecordBatch {
  const builders = schema.map((c) => new ColumnBuilder(c.type, rows.length));
  for (const r of rows) for (let j = 0; j < builders.length; j++) builders[j]!.append(r[j] ?? null);
  return makeRecordBatch(arrowSchema(schema), builders.map((b) => b.finish()), rows.length);
}

/** Reads every row of a batch as value arrays (slow path). */
export function rowsOf(b: ChangeBatch | RecordBatch, schema: Schema): Value[][] {
  const cols = columnsOf(b);
  const n = b instanceof RecordBatch ? b.numRows : b.length;
  const out: Value[][] = [];
  for (let i = 0; i < n; i++) out.push(schema.map((c: Column, j) => readValue(cols[j]!, i, c.type)));
  return out;
}
