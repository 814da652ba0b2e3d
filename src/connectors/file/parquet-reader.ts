/**
 * parquet, read through DuckDB's `read_parquet` in a private in-memory DuckDB and streamed
 * chunk by chunk (never the whole file). DuckDB converts each column to something cheap to
 * take over (epoch ms and epoch days as DOUBLE, numbers as DOUBLE); the rest (range checks,
 * text to be parsed) goes through the same RowStage as jsonl and csv. Offsets are row
 * numbers in the file (DuckDB's `file_row_number`), so a resume filters on it.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk, type DuckDBResult, type DuckDBVector } from '../../state/duckdb-api.js';
import { SluiceError } from '../../errors.js';
import type { Schema, SqlType } from '../../types.js';
import type { ReadBatch, SourceReader } from '../source-reader.js';
import { clampMaxRows } from '../batch-limits.js';
import { BatchAssembler } from './batch-assembler.js';
import { RowStage, S_NULL } from './row-stage.js';

/** How a selected value enters the stage: a JS number checked against the declared type… */
const TAKE_NUMBER = 0;
/** …a number already in the physical layout (epoch ms, days, interval ms)… */
const TAKE_PHYSICAL = 1;
/** …text parsed by the declared type, or a boolean. */
const TAKE_STRING = 2;
const TAKE_BOOLEAN = 3;
type Take = typeof TAKE_NUMBER | typeof TAKE_PHYSICAL | typeof TAKE_STRING | typeof TAKE_BOOLEAN;

interface Selected {
  readonly sql: string;
  readonly take: Take;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SQL literal of a string. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

const NUMERIC_TYPES = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(.*\))$/;

/** How to select a parquet column of DuckDB type `src` as declared type `dst`; null when they do not mix. */
export function selectAs(col: string, src: string, dst: SqlType): Selected | null {
  const c = quoteIdent(col);
  const isNumeric = NUMERIC_TYPES.test(src);
  const isTz = src === 'TIMESTAMP WITH TIME ZONE';
  const isTs = isTz || src.startsWith('TIMESTAMP');
  const asText: Selected = { sql: `CAST(${c} AS VARCHAR)`, take: TAKE_STRING };
  if (src === 'VARCHAR' && dst !== 'VARCHAR') return { sql: c, take: TAKE_STRING };
  switch (dst) {
    case 'VARCHAR':
      return asText;
    case 'BOOLEAN':
      return src === 'BOOLEAN' ? { sql: c, take: TAKE_BOOLEAN } : null;
    case 'INT':
    case 'BIGINT':
    case 'DOUBLE':
      return isNumeric ? { sql: `CAST(${c} AS DOUBLE)`, take: TAKE_NUMBER } : null;
    case 'TIMESTAMP': {
      if (isNumeric) return { sql: `CAST(${c} AS DOUBLE)`, take: TAKE_NUMBER };
      const ms = isTz ? `epoch_ms(${c})` : `epoch_ms(CAST(${c} AS TIMESTAMP))`;
      return isTs || src === 'DATE' ? { sql: `CAST(${ms} AS DOUBLE)`, take: TAKE_PHYSICAL } : null;
    }
    case 'DATE':
      if (src === 'DATE') return { sql: `CAST(${c} - DATE '1970-01-01' AS DOUBLE)`, take: TAKE_PHYSICAL };
      if (isTs) {
        const ms = isTz ? `epoch_ms(${c})` : `epoch_ms(CAST(${c} AS TIMESTAMP))`;
        return { sql: `CAST(floor(${ms} / 86400000) AS DOUBLE)`, take: TAKE_PHYSICAL };
      }
      return null;
    case 'INTERVAL':
      if (src === 'INTERVAL') return { sql: `CAST(epoch(${c}) * 1000 AS DOUBLE)`, take: TAKE_PHYSICAL };
      return isNumeric ? { sql: `CAST(${c} AS DOUBLE)`, take: TAKE_NUMBER } : null;
    case 'NULL':
      return { sql: 'NULL', take: TAKE_PHYSICAL };
    default:
      // DECIMAL: DuckDB's exact text of the value, parsed digit by digit.
      return isNumeric ? asText : null;
  }
}

export interface ParquetInit {
  readonly source: string;
  readonly path: string;
  readonly schema: Schema;
  readonly eventTimeColumn: number | null;
  readonly startRow: number;
}

function connectorError(path: string, err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new SluiceError('CONNECTOR', `cannot read parquet file ${path}: ${msg.split('\n')[0]}`);
}

export class ParquetReader implements SourceReader {
  readonly bounded = true;
  private readonly init: ParquetInit;
  private readonly instance: DuckDBInstance;
  private readonly conn: DuckDBConnection;
  private readonly result: DuckDBResult;
  private readonly takes: readonly Take[];
  private readonly asm: BatchAssembler;
  private readonly stage: RowStage;
  private chunk: DuckDBDataChunk | null = null;
  private vectors: DuckDBVector[] = [];
  private chunkRow = 0;
  private done = false;
  private nextRow: number;
  private closed = false;

  private constructor(init: ParquetInit, instance: DuckDBInstance, conn: DuckDBConnection, result: DuckDBResult, takes: Take[]) {
    this.init = init;
    this.instance = instance;
    this.conn = conn;
    this.result = result;
    this.takes = takes;
    this.nextRow = init.startRow;
    this.asm = new BatchAssembler(init.source, init.schema);
    this.stage = new RowStage(init.schema);
  }

  /** The number of rows in a parquet file (from its metadata). */
  static async countRows(path: string): Promise<number> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const conn = await instance.connect();
    try {
      const r = await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${sqlString(path)})`);
      return Number(r.getRowObjectsJS()[0]!['n']);
    } catch (err) {
      throw connectorError(path, err);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }

  static async open(init: ParquetInit): Promise<ParquetReader> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    let conn: DuckDBConnection | null = null;
    try {
      conn = await instance.connect();
      const file = sqlString(init.path);
      const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file})`);
      const fileColumns = new Map<string, { name: string; type: string }>();
      for (const row of described.getRowObjectsJS()) {
        const name = String(row['column_name']);
        if (!fileColumns.has(name.toLowerCase())) fileColumns.set(name.toLowerCase(), { name, type: String(row['column_type']) });
      }
      const takes: Take[] = [];
      const select = init.schema.map((c) => {
        const fc = fileColumns.get(c.name.toLowerCase());
        if (fc === undefined) throw new SluiceError('CONNECTOR', `column ${c.name} is not in parquet file ${init.path}`);
        const s = selectAs(fc.name, fc.type, c.type);
        if (s === null) throw new SluiceError('CONNECTOR', `column ${c.name}: parquet type ${fc.type} cannot be read as ${c.type} (${init.path})`);
        takes.push(s.take);
        return s.sql;
      });
      const sql =
        `SELECT file_row_number${select.map((s) => `, ${s}`).join('')} FROM read_parquet(${file}, file_row_number = true)` +
        (init.startRow > 0 ? ` WHERE file_row_number >= ${init.startRow}` : '');
      const result = await conn.stream(sql);
      return new ParquetReader(init, instance, conn, result, takes);
    } catch (err) {
      conn?.closeSync();
      instance.closeSync();
      throw connectorError(init.path, err);
    }
  }

  async next(maxRows: number): Promise<ReadBatch | null> {
    if (this.closed) throw new SluiceError('CONNECTOR', `reader of ${this.init.path} is closed`);
    if (this.done) return null;
    const max = clampMaxRows(maxRows);
    const asm = this.asm;
    while (asm.events < max) {
      if (this.chunk === null || this.chunkRow >= this.chunk.rowCount) {
        let chunk: DuckDBDataChunk | null;
        try {
          chunk = await this.result.fetchChunk();
        } catch (err) {
          throw connectorError(this.init.path, err);
        }
        if (chunk === null || chunk.rowCount === 0) {
          this.done = true;
          this.chunk = null;
          break;
        }
        this.chunk = chunk;
        this.chunkRow = 0;
        this.vectors = [];
        for (let k = 0; k < chunk.columnCount; k++) this.vectors.push(chunk.getColumnVector(k));
      }
      const end = Math.min(this.chunk.rowCount, this.chunkRow + (max - asm.events));
      for (let i = this.chunkRow; i < end; i++) this.takeRow(i);
      this.chunkRow = end;
    }
    if (this.done && asm.events === 0) return null;
    return asm.finish();
  }

  private takeRow(i: number): void {
    const stage = this.stage;
    const vec = this.vectors;
    const offset = Number(vec[0]!.getItem(i) as bigint);
    this.nextRow = offset + 1;
    stage.clear();
    let reason: string | null = null;
    for (let j = 0; j < this.takes.length && reason === null; j++) {
      const v = vec[j + 1]!.getItem(i);
      if (v === null) continue;
      switch (this.takes[j]) {
        case TAKE_NUMBER:
          reason = stage.setNumber(j, v as number);
          break;
        case TAKE_PHYSICAL:
          stage.setPhysical(j, v as number);
          break;
        case TAKE_STRING:
          reason = stage.setString(j, v as string);
          break;
        case TAKE_BOOLEAN:
          reason = stage.setBoolean(j, v as boolean);
          break;
      }
    }
    const et = this.init.eventTimeColumn;
    if (reason === null && et !== null && stage.kind[et] === S_NULL) reason = `missing event time column ${this.init.schema[et]!.name}`;
    if (reason === null) {
      this.asm.addRow(stage, offset);
      return;
    }
    const raw: Record<string, unknown> = {};
    this.init.schema.forEach((c, j) => {
      const v = vec[j + 1]!.getItem(i);
      raw[c.name] = typeof v === 'bigint' ? Number(v) : v;
    });
    this.asm.addDeadLetter(offset, JSON.stringify(raw), reason);
  }

  position(): unknown {
    return { row: this.nextRow };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
