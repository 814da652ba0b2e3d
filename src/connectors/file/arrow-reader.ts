/**
 * arrow: an Arrow IPC file (or stream) read batch by batch with apache-arrow's reader over a
 * file handle. Columns are matched to the declared ones by name (case-insensitively) and
 * converted to sluice's layout: integers and Int64 to numbers (checked against INT/BIGINT
 * ranges), Timestamp of any unit to epoch ms, Date to days (or ms for TIMESTAMP),
 * Dictionary<Utf8> and LargeUtf8 to Utf8 bytes. Offsets are row numbers in the file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader, Type, type Data, type DataType, type RecordBatch, type Vector } from '../../exec/arrow.js';
import { SluiceError } from '../../errors.js';
import { MS_PER_DAY, type Schema, type SqlType } from '../../types.js';
import type { ReadBatch, SourceReader } from '../source-reader.js';
import { clampMaxRows } from '../batch-limits.js';
import { BatchAssembler } from './batch-assembler.js';
import { RowStage, S_NULL } from './row-stage.js';

/** Stages row i of one column; returns a dead-letter reason or null. */
type Convert = (i: number) => string | null;

const MS_PER_UNIT = [1000, 1, 1e-3, 1e-6];

function isText(t: DataType): boolean {
  return t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8 || (t.typeId === Type.Dictionary && isText((t as unknown as { dictionary: DataType }).dictionary));
}

/** Whether an Arrow column of type `t` can be read as `dst`. */
export function arrowCompatible(t: DataType, dst: SqlType): boolean {
  const id = t.typeId;
  const numeric = id === Type.Int || id === Type.Float || id === Type.Decimal;
  if (dst === 'VARCHAR' || dst === 'NULL') return true;
  if (isText(t)) return true;
  switch (dst) {
    case 'BOOLEAN':
      return id === Type.Bool;
    case 'INT':
    case 'BIGINT':
    case 'DOUBLE':
    case 'INTERVAL':
      return numeric;
    case 'TIMESTAMP':
      return numeric || id === Type.Timestamp || id === Type.Date;
    case 'DATE':
      return id === Type.Timestamp || id === Type.Date;
    default:
      return numeric; // DECIMAL
  }
}

function validAt(d: Data, i: number): boolean {
  if (d.nullCount === 0) return true;
  const bm = d.nullBitmap;
  if (bm === undefined || bm.length === 0) return d.typeId !== Type.Null;
  const k = d.offset + i;
  return ((bm[k >> 3]! >> (k & 7)) & 1) === 1;
}

function int64ToMs(v: bigint, unit: number): number {
  if (unit === 1) return Number(v);
  if (unit === 0) return Number(v) * 1000;
  const div = unit === 2 ? 1000n : 1000000n;
  const q = v / div;
  return Number(v % div < 0n ? q - 1n : q);
}

/** Builds the converter of declared column j over the Data `d` (one batch's column). */
function converter(stage: RowStage, j: number, d: Data, vector: Vector): Convert {
  const dst = stage.types[j]!;
  const t = d.type as DataType & { unit?: number; bitWidth?: number; precision?: number };
  const plain = d.offset === 0;
  const slow: Convert = (i) => {
    let v: unknown = vector.get(i);
    if (typeof v === 'bigint') v = Number(v);
    else if (v instanceof Date) v = v.getTime();
    return stage.setJsValue(j, v);
  };
  if (!plain) return slow;
  switch (d.typeId) {
    case Type.Int:
    case Type.Float: {
      if (t.typeId === Type.Float && t.precision === 0) return slow;
      const vals = d.values as ArrayLike<number | bigint>;
      if (t.bitWidth === 64) return (i) => stage.setNumber(j, Number(vals[i]!));
      return (i) => stage.setNumber(j, vals[i] as number);
    }
    case Type.Timestamp: {
      const vals = d.values as BigInt64Array;
      const unit = t.unit ?? 1;
      if (dst === 'DATE') return (i) => stage.setPhysical(j, Math.floor(int64ToMs(vals[i]!, unit) / MS_PER_DAY));
      if (dst === 'TIMESTAMP') {
        if (unit <= 2) {
          const f = MS_PER_UNIT[unit]!;
          return (i) => stage.setPhysical(j, Math.floor(Number(vals[i]!) * f));
        }
        return (i) => stage.setPhysical(j, int64ToMs(vals[i]!, unit));
      }
      return slow;
    }
    case Type.Date: {
      const perDay = t.unit === 0;
      const vals = d.values as Int32Array | BigInt64Array;
      const days = (i: number): number => (perDay ? (vals[i] as number) : Math.floor(Number(vals[i]!) / MS_PER_DAY));
      if (dst === 'DATE') return (i) => stage.setPhysical(j, days(i));
      if (dst === 'TIMESTAMP') return perDay ? (i) => stage.setPhysical(j, days(i) * MS_PER_DAY) : (i) => stage.setPhysical(j, Number(vals[i]!));
      return slow;
    }
    case Type.Utf8: {
      const off = d.valueOffsets as Int32Array;
      const bytes = d.values as Uint8Array;
      return (i) => stage.setText(j, bytes, off[i]!, off[i + 1]!);
    }
    case Type.LargeUtf8: {
      const off = d.valueOffsets as unknown as BigInt64Array;
      const bytes = d.values as Uint8Array;
      return (i) => stage.setText(j, bytes, Number(off[i]!), Number(off[i + 1]!));
    }
    case Type.Dictionary: {
      const dict = d.dictionary;
      const dd = dict?.data.length === 1 ? dict.data[0]! : null;
      if (dd === null || dd.typeId !== Type.Utf8 || dd.offset !== 0) return slow;
      const keys = d.values as ArrayLike<number | bigint>;
      const off = dd.valueOffsets as Int32Array;
      const bytes = dd.values as Uint8Array;
      return (i) => {
        const k = Number(keys[i]!);
        return stage.setText(j, bytes, off[k]!, off[k + 1]!);
      };
    }
    case Type.Bool: {
      const bits = d.values as Uint8Array;
      return (i) => stage.setBoolean(j, ((bits[i >> 3]! >> (i & 7)) & 1) === 1);
    }
    default:
      return slow;
  }
}

export interface ArrowInit {
  readonly source: string;
  readonly path: string;
  readonly schema: Schema;
  readonly eventTimeColumn: number | null;
  readonly startRow: number;
}

export class ArrowReader implements SourceReader {
  readonly bounded = true;
  private readonly init: ArrowInit;
  private readonly handle: FileHandle;
  private readonly reader: RecordBatchReader;
  /** Index of each declared column among the file's fields. */
  private readonly fieldOf: readonly number[];
  private readonly asm: BatchAssembler;
  private readonly stage: RowStage;
  private batch: RecordBatch | null = null;
  private datas: Data[] = [];
  private convs: Convert[] = [];
  /** Row number (in the file) of the current batch's first row. */
  private batchFirstRow = 0;
  private batchRow = 0;
  private nextRow: number;
  private done = false;
  private closed = false;

  private constructor(init: ArrowInit, handle: FileHandle, reader: RecordBatchReader, fieldOf: number[]) {
    this.init = init;
    this.handle = handle;
    this.reader = reader;
    this.fieldOf = fieldOf;
    this.nextRow = init.startRow;
    this.asm = new BatchAssembler(init.source, init.schema);
    this.stage = new RowStage(init.schema);
  }

  /** The number of rows in an arrow file (read through once: IPC keeps no total). */
  static async countRows(path: string): Promise<number> {
    const handle = await open(path, 'r');
    try {
      const reader = (await RecordBatchReader.from(handle)) as RecordBatchReader;
      await reader.open();
      let rows = 0;
      for (let r = await reader.next(); r.done !== true; r = await reader.next()) rows += (r.value as RecordBatch).numRows;
      return rows;
    } catch (err) {
      throw new SluiceError('CONNECTOR', `cannot read arrow file ${path}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await handle.close();
    }
  }

  static async open(init: ArrowInit): Promise<ArrowReader> {
    const handle = await open(init.path, 'r');
    try {
      let reader: RecordBatchReader;
      try {
        reader = (await RecordBatchReader.from(handle)) as RecordBatchReader;
        await reader.open();
      } catch (err) {
        throw new SluiceError('CONNECTOR', `cannot read arrow file ${init.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const fields = reader.schema.fields;
      const byName = new Map<string, number>();
      fields.forEach((f, k) => {
        const n = f.name.toLowerCase();
        if (!byName.has(n)) byName.set(n, k);
      });
      const fieldOf = init.schema.map((c) => {
        const k = byName.get(c.name.toLowerCase());
        if (k === undefined) throw new SluiceError('CONNECTOR', `column ${c.name} is not in arrow file ${init.path}`);
        if (!arrowCompatible(fields[k]!.type, c.type)) {
          throw new SluiceError('CONNECTOR', `column ${c.name}: arrow type ${String(fields[k]!.type)} cannot be read as ${c.type} (${init.path})`);
        }
        return k;
      });
      return new ArrowReader(init, handle, reader, fieldOf);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Loads the next batch that has rows at or after `nextRow`; false at the end. */
  private async advance(): Promise<boolean> {
    for (;;) {
      if (this.batch !== null) this.batchFirstRow += this.batch.numRows;
      let r: IteratorResult<RecordBatch>;
      try {
        r = await this.reader.next();
      } catch (err) {
        throw new SluiceError('CONNECTOR', `cannot read arrow file ${this.init.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (r.done === true) {
        this.batch = null;
        return false;
      }
      const b = r.value;
      this.batch = b;
      if (this.batchFirstRow + b.numRows <= this.nextRow) continue;
      this.batchRow = Math.max(0, this.nextRow - this.batchFirstRow);
      this.datas = [];
      this.convs = [];
      this.fieldOf.forEach((k, j) => {
        const vec = b.getChildAt(k)!;
        const d = vec.data[0]!;
        this.datas.push(d);
        this.convs.push(converter(this.stage, j, d, vec));
      });
      return true;
    }
  }

  async next(maxRows: number): Promise<ReadBatch | null> {
    if (this.closed) throw new SluiceError('CONNECTOR', `reader of ${this.init.path} is closed`);
    if (this.done) return null;
    const max = clampMaxRows(maxRows);
    const asm = this.asm;
    while (asm.events < max) {
      if (this.batch === null || this.batchRow >= this.batch.numRows) {
        if (!(await this.advance())) {
          this.done = true;
          break;
        }
        continue;
      }
      const end = Math.min(this.batch.numRows, this.batchRow + (max - asm.events));
      for (let i = this.batchRow; i < end; i++) this.takeRow(i);
      this.batchRow = end;
      this.nextRow = this.batchFirstRow + end;
    }
    if (this.done && asm.events === 0) return null;
    return asm.finish();
  }

  private takeRow(i: number): void {
    const stage = this.stage;
    stage.clear();
    const datas = this.datas;
    const convs = this.convs;
    let reason: string | null = null;
    for (let j = 0; j < convs.length && reason === null; j++) {
      if (validAt(datas[j]!, i)) reason = convs[j]!(i);
    }
    const et = this.init.eventTimeColumn;
    if (reason === null && et !== null && stage.kind[et] === S_NULL) reason = `missing event time column ${this.init.schema[et]!.name}`;
    const offset = this.batchFirstRow + i;
    if (reason === null) {
      this.asm.addRow(stage, offset);
      return;
    }
    const row = this.batch!.get(i)?.toJSON() ?? {};
    this.asm.addDeadLetter(offset, JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)), reason);
  }

  position(): unknown {
    return { row: this.nextRow };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
