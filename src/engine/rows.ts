/**
 * Rows as the API hands them out and takes them in: plain objects, TIMESTAMP and DATE as
 * `Date`, BIGINT as `number` (sluice keeps BIGINT within ±2^53), DECIMAL as a string of its
 * digits at the column's scale (`'1234.50'`). Inserted rows may give a TIMESTAMP as a Date,
 * epoch milliseconds or an ISO-8601 string, a DECIMAL as a string or a number.
 */
import {
  Bool,
  DataType,
  Float64,
  Int32,
  Utf8,
  type Data,
  type RecordBatch,
  type Table,
} from '../exec/arrow.js';
import { batchFromRows, ColumnBuilder, isValid, makeRecordBatch, arrowSchema, rowsOf, type OpName } from '../exec/batch.js';
import { MS_PER_DAY, type Schema, type SqlType, type Value } from '../types.js';
import { castValue, parseDate, parseTimestamp } from '../plan/functions.js';
import { fitsDecimal, formatDecimal, isDecimal, overflowError, scaleOf, toUnscaled } from '../decimal.js';
import { SluiceError } from '../errors.js';

/** A row: column name → value. */
export type Row = Record<string, unknown>;

/** One change of a view: `+I` insert, `-U`/`+U` update before/after, `-D` delete. */
export interface Change {
  readonly op: OpName;
  readonly row: Row;
}

/** A sluice value as the API shows it. */
export function toApiValue(v: Value, type: SqlType): unknown {
  if (v === null) return null;
  if (type === 'TIMESTAMP') return new Date(v as number);
  if (type === 'DATE') return new Date((v as number) * MS_PER_DAY);
  if (isDecimal(type)) return formatDecimal(v as number, scaleOf(type));
  return v;
}

export function toApiRow(values: readonly Value[], schema: Schema): Row {
  const row: Row = {};
  schema.forEach((c, i) => (row[c.name] = toApiValue(values[i] ?? null, c.type)));
  return row;
}

/** Why an API value cannot be a value of `type`, or the value. */
export function fromApiValue(v: unknown, type: SqlType): { value: Value } | { error: string } {
  if (v === null || v === undefined) return { value: null };
  const bad = { error: `expected ${type}, got ${typeof v === 'string' ? `'${v}'` : String(v)}` };
  switch (type) {
    case 'TIMESTAMP':
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? bad : { value: v.getTime() };
      if (typeof v === 'number') return Number.isFinite(v) ? { value: v } : bad;
      if (typeof v === 'string') {
        const t = parseTimestamp(v);
        return t === null ? bad : { value: t };
      }
      return bad;
    case 'DATE':
      if (v instanceof Date) return { value: Math.floor(v.getTime() / MS_PER_DAY) };
      if (typeof v === 'string') {
        const d = parseDate(v);
        return d === null ? bad : { value: d };
      }
      return bad;
    case 'BIGINT':
    case 'INT': {
      const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isInteger(n)) return bad;
      if (type === 'INT' && (n < -(2 ** 31) || n >= 2 ** 31)) return { error: `${n} is out of the INT range` };
      if (!Number.isSafeInteger(n)) return { error: `${String(v)} is outside the BIGINT range sluice supports (±2^53)` };
      return { value: n };
    }
    case 'DOUBLE':
    case 'INTERVAL': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return Number.isNaN(n) && typeof v !== 'number' ? bad : { value: n };
    }
    case 'BOOLEAN':
      if (typeof v === 'boolean') return { value: v };
      if (typeof v === 'string') {
        const b = castValue(v, 'VARCHAR', 'BOOLEAN');
        return b === null ? bad : { value: b };
      }
      return bad;
    case 'VARCHAR':
      return typeof v === 'object' ? { value: JSON.stringify(v) } : { value: String(v) };
    case 'NULL':
      return { value: null };
    default: {
      // DECIMAL: exact from the number's or the string's digits; out of range is an error
      // for the whole call, never a rounded value.
      const x = toUnscaled(v, scaleOf(type));
      if (x !== x) return bad;
      if (!fitsDecimal(x, type)) throw overflowError(`${typeof v === 'string' ? `'${v}'` : String(v)}`, type, x);
      return { value: x };
    }
  }
}

/** A row `insert` set aside: its index in the call, the row as JSON, and why. */
export interface RejectedRow {
  readonly index: number;
  readonly raw: string;
  readonly reason: string;
}

/**
 * Why a row is no event: its reason names the row's index in the insert call and the column.
 * A row without event time could not be placed on the time line (no window, no watermark),
 * so it is set aside as the file connector does, not counted.
 */
function reasonAt(index: number, why: string): string {
  return `row ${index}: ${why}`;
}

function missingEventTime(schema: Schema, eventTime: number): string {
  return `missing event time column ${schema[eventTime]!.name}`;
}

/** Marks a value the fast conversion could not take (the slow path then says why, or converts it). */
const SLOW = Symbol('slow');

/** The common cases of {@link fromApiValue}, without allocating; SLOW for anything else. */
function fastValue(v: unknown, type: SqlType): Value | typeof SLOW {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'TIMESTAMP':
      if (v instanceof Date) {
        const t = v.getTime();
        return t === t ? t : SLOW;
      }
      return typeof v === 'number' && Number.isFinite(v) ? v : SLOW;
    case 'BIGINT':
      return typeof v === 'number' && Number.isSafeInteger(v) ? v : SLOW;
    case 'INT':
      return typeof v === 'number' && (v | 0) === v ? v : SLOW;
    case 'DOUBLE':
      return typeof v === 'number' ? v : SLOW;
    case 'VARCHAR':
      return typeof v === 'string' ? v : SLOW;
    case 'BOOLEAN':
      return typeof v === 'boolean' ? v : SLOW;
    default:
      return SLOW;
  }
}

/**
 * Rows given to `insert`, converted to a batch of the source schema; bad rows (not an
 * object, a value of the wrong type, no value in the event-time column `eventTime`) are set
 * aside with a reason. Columns are matched by name, case-insensitively; a row's values go
 * straight into column builders (no per-row arrays), and a row whose keys are not spelled
 * as the previous row's takes a slower path that looks its keys up.
 */
export function rowsToBatch(
  rows: readonly unknown[],
  schema: Schema,
  defaults: readonly Value[],
  eventTime: number | null = null,
): { batch: RecordBatch; rejected: RejectedRow[] } {
  const columns = rows.length > 1 ? columnsOfPlainRows(rows, schema, eventTime) : null;
  if (columns !== null) return { batch: makeRecordBatch(arrowSchema(schema), columns, rows.length), rejected: [] };
  const rejected: RejectedRow[] = [];
  const width = schema.length;
  const byName = new Map(schema.map((c, i) => [c.name.toLowerCase(), i]));
  const types = schema.map((c) => c.type);
  // The key each column was found under in the last row that had them all.
  const spelling = schema.map((c) => c.name);
  const builders = schema.map((c) => new ColumnBuilder(c.type, Math.max(16, rows.length)));
  const values: Value[] = new Array(width);
  const raws: unknown[] = new Array(width);
  let good = 0;
  const reject = (index: number, r: unknown, why: string) => rejected.push({ index, raw: safeJson(r), reason: reasonAt(index, why) });
  rows: for (let index = 0; index < rows.length; index++) {
    const r = rows[index];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      reject(index, r, 'an event must be a plain object');
      continue;
    }
    const obj = r as Record<string, unknown>;
    let exact = true;
    for (let j = 0; j < width; j++) {
      const v = obj[spelling[j]!];
      // An own property only (a column named like an Object method must not read it).
      if ((v === undefined || typeof v === 'function') && !Object.hasOwn(obj, spelling[j]!)) {
        exact = false;
        break;
      }
      raws[j] = v;
    }
    if (!exact) {
      // Keys spelled otherwise, or missing: as given, the last of two spellings winning.
      for (let j = 0; j < width; j++) raws[j] = undefined;
      const seen = new Array<boolean>(width).fill(false);
      for (const k of Object.keys(obj)) {
        const j = byName.get(k.toLowerCase());
        if (j === undefined) continue;
        raws[j] = obj[k];
        seen[j] = true;
        spelling[j] = k;
      }
      for (let j = 0; j < width; j++) if (!seen[j]) values[j] = defaults[j] ?? null;
      for (let j = 0; j < width; j++) if (!seen[j]) raws[j] = SLOW;
    }
    for (let j = 0; j < width; j++) {
      const v = raws[j];
      if (v === SLOW) continue; // absent: the default stands
      const fast = fastValue(v, types[j]!);
      if (fast !== SLOW) {
        values[j] = fast;
        continue;
      }
      let c: ReturnType<typeof fromApiValue>;
      try {
        c = fromApiValue(v, types[j]!);
      } catch (e) {
        if (e instanceof SluiceError && e.code === 'OVERFLOW') throw new SluiceError('OVERFLOW', `${reasonAt(index, `column ${schema[j]!.name}`)}: ${e.message}`);
        throw e;
      }
      if ('error' in c) {
        reject(index, r, `column ${schema[j]!.name}: ${c.error}`);
        continue rows;
      }
      values[j] = c.value;
    }
    if (eventTime !== null && values[eventTime] === null) {
      reject(index, r, missingEventTime(schema, eventTime));
      continue;
    }
    for (let j = 0; j < width; j++) builders[j]!.append(values[j]!);
    good++;
  }
  const batch = makeRecordBatch(arrowSchema(schema), builders.map((b) => b.finish()), good);
  return { batch, rejected };
}

/**
 * The columns of rows that are all plain objects holding every column under its own name
 * with a value {@link fastValue} takes (and an event time): what most inserts are. Read a
 * column at a time (one property name per loop, one type per builder), which is what
 * rowsToBatch's loop over rows would build. Null at the first row that is anything else:
 * that loop then converts the whole call, with its key lookups, defaults and reasons.
 */
function columnsOfPlainRows(rows: readonly unknown[], schema: Schema, eventTime: number | null): Data[] | null {
  const n = rows.length;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return null;
  }
  const objs = rows as readonly Record<string, unknown>[];
  const out: Data[] = [];
  for (let j = 0; j < schema.length; j++) {
    const { name, type } = schema[j]!;
    const b = new ColumnBuilder(type, Math.max(16, n));
    const nullable = j !== eventTime;
    for (let i = 0; i < n; i++) {
      const o = objs[i]!;
      const v = o[name];
      if (v === undefined || v === null) {
        // As the row loop: a missing key (or one only inherited) is not this path's case.
        if (!nullable || (v === undefined && !Object.hasOwn(o, name))) return null;
        b.appendNull();
        continue;
      }
      const x = fastValue(v, type);
      if (x === SLOW || x === null) return null;
      if (typeof x === 'number') b.appendNumber(x);
      else if (typeof x === 'string') b.appendString(x);
      else b.appendBoolean(x);
    }
    out.push(b.finish());
  }
  return out;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * An Arrow table or batch given to `insert`, converted to the source schema: columns matched
 * by name (case-insensitive), Int64 and timestamps to numbers, dictionaries decoded. Rows are
 * set aside by the same rules as {@link rowsToBatch}, indexed across the whole table.
 */
export function arrowToBatch(
  input: Table | RecordBatch,
  schema: Schema,
  defaults: readonly Value[],
  eventTime: number | null = null,
): { batches: RecordBatch[]; rejected: RejectedRow[] } {
  const batches = 'batches' in input ? input.batches : [input];
  const out: RecordBatch[] = [];
  const rejected: RejectedRow[] = [];
  let first = 0;
  for (const b of batches) {
    const n = b.numRows;
    const fields = b.schema.fields;
    const reasons = new Array<string | undefined>(n);
    let bad = 0;
    const reject = (i: number, why: string) => {
      if (reasons[i] === undefined) bad++;
      reasons[i] ??= why;
    };
    const cols: Data[] = schema.map((c, j) => {
      const at = fields.findIndex((f) => f.name.toLowerCase() === c.name.toLowerCase());
      const builder = new ColumnBuilder(c.type, n);
      if (at < 0) {
        for (let i = 0; i < n; i++) builder.append(defaults[j] ?? null);
        if (j === eventTime && defaults[j] == null) for (let i = 0; i < n; i++) reject(i, missingEventTime(schema, j));
        return builder.finish();
      }
      const vec = b.getChildAt(at)!;
      const ftype: DataType = fields[at]!.type;
      if (sameLayout(ftype, c.type) && vec.data.length === 1 && vec.data[0]!.offset === 0) return vec.data[0]!;
      // An Arrow Decimal cell prints its unscaled digits: with the field's scale as an
      // exponent, the exact parse puts the point back (`1250e-2` is 12.50).
      const decimalScale = DataType.isDecimal(ftype) ? ftype.scale : null;
      for (let i = 0; i < n; i++) {
        const raw = vec.get(i);
        const given = typeof raw === 'bigint' ? Number(raw) : decimalScale !== null && raw !== null ? `${String(raw)}e-${decimalScale}` : raw;
        const conv = fromApiValue(given, c.type);
        if ('error' in conv) reject(i, `column ${c.name}: ${conv.error}`);
        builder.append('value' in conv ? conv.value : null);
      }
      return builder.finish();
    });
    if (eventTime !== null) {
      const et = cols[eventTime]!;
      if (et.nullCount > 0) for (let i = 0; i < n; i++) if (!isValid(et, i)) reject(i, missingEventTime(schema, eventTime));
    }
    const all = makeRecordBatch(arrowSchema(schema), cols, n);
    if (bad === 0) {
      out.push(all);
    } else {
      const good: Value[][] = [];
      const values = rowsOf(all, schema);
      for (let i = 0; i < n; i++) {
        if (reasons[i] === undefined) good.push(values[i]!);
        else rejected.push({ index: first + i, raw: arrowRowJson(b, i), reason: reasonAt(first + i, reasons[i]!) });
      }
      out.push(batchFromRows(schema, good));
    }
    first += n;
  }
  return { batches: out, rejected };
}

/** Row i of an Arrow batch as JSON, as given (for a dead letter's raw text). */
function arrowRowJson(b: RecordBatch, i: number): string {
  const row: Record<string, unknown> = {};
  b.schema.fields.forEach((f, j) => (row[f.name] = b.getChildAt(j)?.get(i) ?? null));
  return safeJson(row);
}

function sameLayout(t: DataType, sql: SqlType): boolean {
  switch (sql) {
    case 'BOOLEAN':
      return t instanceof Bool;
    case 'INT':
      return t instanceof Int32;
    case 'VARCHAR':
      return t instanceof Utf8;
    case 'DOUBLE':
    case 'BIGINT':
      return t instanceof Float64;
    default:
      return false;
  }
}
