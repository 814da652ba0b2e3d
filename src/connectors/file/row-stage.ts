/**
 * One row on its way into column builders. A file row is converted column by column into
 * this stage first and only appended once every column has converted, because a row with
 * one bad field is skipped whole (it becomes a dead letter) and ColumnBuilder cannot take
 * an append back. The stage is a set of reused typed arrays, so staging allocates nothing.
 */
import { ColumnBuilder } from '../../exec/batch.js';
import type { Schema, SqlType } from '../../types.js';
import { isDecimal, numberToDecimal, scaleOf, type DecimalType } from '../../decimal.js';
import {
  decimalProblem,
  numericProblem,
  parseBooleanBytes,
  parseDecimalBytes,
  parseDateBytes,
  parseNumberBytes,
  parseTimestampBytes,
  showText,
} from '../parse-value.js';

export const S_NULL = 0;
export const S_NUM = 1;
export const S_BOOL = 2;
export const S_STR = 3;
export const S_BYTES = 4;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function text(b: Uint8Array, s: number, e: number): string {
  return decoder.decode(b.subarray(s, e));
}

/**
 * Staged values of one row; each `set*` converts to the column's declared type and returns
 * the dead-letter reason when it cannot (null on success).
 */
export class RowStage {
  readonly schema: Schema;
  readonly types: readonly SqlType[];
  readonly kind: Uint8Array;
  readonly num: Float64Array;
  readonly str: (string | null)[];
  readonly src: (Uint8Array | null)[];
  readonly start: Int32Array;
  readonly end: Int32Array;

  constructor(schema: Schema) {
    const n = schema.length;
    this.schema = schema;
    this.types = schema.map((c) => c.type);
    this.kind = new Uint8Array(n);
    this.num = new Float64Array(n);
    this.str = new Array<string | null>(n).fill(null);
    this.src = new Array<Uint8Array | null>(n).fill(null);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
  }

  clear(): void {
    this.kind.fill(S_NULL);
  }

  setNull(j: number): null {
    this.kind[j] = S_NULL;
    return null;
  }

  private setNum(j: number, v: number): null {
    this.kind[j] = S_NUM;
    this.num[j] = v;
    return null;
  }

  private fail(j: number, shown: string): string {
    return `column ${this.schema[j]!.name}: expected ${this.types[j]}, got ${shown}`;
  }

  /** A field given as text (a csv field, a JSON string without escapes): parsed by type. */
  setText(j: number, b: Uint8Array, s: number, e: number): string | null {
    const type = this.types[j]!;
    if (type === 'VARCHAR') {
      this.kind[j] = S_BYTES;
      this.src[j] = b;
      this.start[j] = s;
      this.end[j] = e;
      return null;
    }
    let ts = s;
    let te = e;
    while (ts < te && (b[ts] === 32 || b[ts] === 9)) ts++;
    while (te > ts && (b[te - 1] === 32 || b[te - 1] === 9)) te--;
    if (isDecimal(type)) return this.setDecimal(j, type, parseDecimalBytes(b, ts, te, scaleOf(type)), () => showText(text(b, s, e)));
    switch (type) {
      case 'INT':
      case 'BIGINT':
      case 'DOUBLE': {
        const v = parseNumberBytes(b, ts, te);
        const problem = numericProblem(v, type, this.schema[j]!.name, () => showText(text(b, s, e)));
        return problem ?? this.setNum(j, v);
      }
      case 'INTERVAL': {
        const v = parseNumberBytes(b, ts, te);
        return Number.isFinite(v) ? this.setNum(j, v) : this.fail(j, showText(text(b, s, e)));
      }
      case 'TIMESTAMP': {
        const v = parseTimestampBytes(b, ts, te);
        return Number.isNaN(v) ? this.fail(j, showText(text(b, s, e))) : this.setNum(j, v);
      }
      case 'DATE': {
        const v = parseDateBytes(b, ts, te);
        return Number.isNaN(v) ? this.fail(j, showText(text(b, s, e))) : this.setNum(j, v);
      }
      case 'BOOLEAN': {
        const v = parseBooleanBytes(b, ts, te);
        if (v < 0) return this.fail(j, showText(text(b, s, e)));
        this.kind[j] = S_BOOL;
        this.num[j] = v;
        return null;
      }
      case 'NULL':
        return this.setNull(j);
    }
  }

  /** A field given as a JS string (JSON string with escapes, DuckDB or Arrow text). */
  setString(j: number, v: string): string | null {
    if (this.types[j] === 'VARCHAR') {
      this.kind[j] = S_STR;
      this.str[j] = v;
      return null;
    }
    const b = encoder.encode(v);
    return this.setText(j, b, 0, b.length);
  }

  /**
   * A JSON number token in bytes [s, e): a number for numeric columns, epoch milliseconds for
   * TIMESTAMP, its text for VARCHAR.
   */
  setNumberToken(j: number, b: Uint8Array, s: number, e: number): string | null {
    const type = this.types[j]!;
    if (type === 'VARCHAR') return this.setText(j, b, s, e);
    if (type === 'BOOLEAN' || type === 'DATE') return this.fail(j, text(b, s, e));
    if (isDecimal(type)) return this.setDecimal(j, type, parseDecimalBytes(b, s, e, scaleOf(type)), () => text(b, s, e));
    return this.setNumberShown(j, parseNumberBytes(b, s, e), b, s, e);
  }

  /** An unscaled DECIMAL parsed from the field's own digits; out of range is a dead letter. */
  private setDecimal(j: number, type: DecimalType, v: number, shown: () => string): string | null {
    return decimalProblem(v, type, this.schema[j]!.name, shown) ?? this.setNum(j, v);
  }

  private setNumberShown(j: number, v: number, b: Uint8Array, s: number, e: number): string | null {
    const type = this.types[j]!;
    switch (type) {
      case 'TIMESTAMP':
        return Number.isFinite(v) ? this.setNum(j, Math.floor(v)) : this.fail(j, text(b, s, e));
      case 'INT':
      case 'BIGINT':
      case 'DOUBLE': {
        const problem = numericProblem(v, type, this.schema[j]!.name, () => text(b, s, e));
        return problem ?? this.setNum(j, v);
      }
      case 'INTERVAL':
        return Number.isFinite(v) ? this.setNum(j, v) : this.fail(j, text(b, s, e));
      default:
        return this.setNull(j);
    }
  }

  /** A JS number (JSON.parse, DuckDB, Arrow). */
  setNumber(j: number, v: number): string | null {
    const type = this.types[j]!;
    switch (type) {
      case 'VARCHAR':
        this.kind[j] = S_STR;
        this.str[j] = String(v);
        return null;
      case 'BOOLEAN':
      case 'DATE':
        return this.fail(j, String(v));
      case 'TIMESTAMP':
        return Number.isFinite(v) ? this.setNum(j, Math.floor(v)) : this.fail(j, String(v));
      case 'INT':
      case 'BIGINT':
      case 'DOUBLE': {
        const problem = numericProblem(v, type, this.schema[j]!.name, () => String(v));
        return problem ?? this.setNum(j, v);
      }
      case 'INTERVAL':
        return Number.isFinite(v) ? this.setNum(j, v) : this.fail(j, String(v));
      case 'NULL':
        return this.setNull(j);
      default:
        // DECIMAL: from the number's shortest digits (String(v)), not its binary fraction.
        return this.setDecimal(j, type, numberToDecimal(v, scaleOf(type)), () => String(v));
    }
  }

  /** A physical value already in the column's layout (epoch ms, days…), checked by nobody. */
  setPhysical(j: number, v: number): null {
    return this.setNum(j, v);
  }

  setBoolean(j: number, v: boolean): string | null {
    const type = this.types[j]!;
    if (type === 'BOOLEAN') {
      this.kind[j] = S_BOOL;
      this.num[j] = v ? 1 : 0;
      return null;
    }
    if (type === 'VARCHAR') {
      this.kind[j] = S_STR;
      this.str[j] = v ? 'true' : 'false';
      return null;
    }
    return this.fail(j, String(v));
  }

  /** A nested JSON value (object or array) as raw text [s, e): kept as text by VARCHAR only. */
  setNestedJson(j: number, b: Uint8Array, s: number, e: number): string | null {
    if (this.types[j] === 'VARCHAR') return this.setText(j, b, s, e);
    const raw = text(b, s, e);
    return this.fail(j, raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
  }

  /** Any JS value of a parsed JSON document (the slow path). */
  setJsValue(j: number, v: unknown): string | null {
    if (v === null || v === undefined) return this.setNull(j);
    if (typeof v === 'number') return this.setNumber(j, v);
    if (typeof v === 'string') return this.setString(j, v);
    if (typeof v === 'boolean') return this.setBoolean(j, v);
    const raw = JSON.stringify(v);
    if (this.types[j] === 'VARCHAR') {
      this.kind[j] = S_STR;
      this.str[j] = raw;
      return null;
    }
    return this.fail(j, raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
  }

  /** Appends the staged row to `builders` (one per column, same order). */
  commit(builders: readonly ColumnBuilder[]): void {
    const kind = this.kind;
    for (let j = 0; j < builders.length; j++) {
      const bld = builders[j]!;
      switch (kind[j]) {
        case S_NULL:
          bld.appendNull();
          break;
        case S_NUM:
          bld.appendNumber(this.num[j]!);
          break;
        case S_BOOL:
          bld.appendBoolean(this.num[j] === 1);
          break;
        case S_STR:
          bld.appendString(this.str[j]!);
          this.str[j] = null;
          break;
        case S_BYTES:
          bld.appendUtf8(this.src[j]!, this.start[j]!, this.end[j]!);
          this.src[j] = null;
          break;
      }
    }
  }
}
