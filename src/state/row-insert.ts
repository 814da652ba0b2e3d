/**
 * One row into a table through a prepared `INSERT … VALUES (?, …)`: the fast way to commit
 * a single event. An appender plans a query at every flush (its rows go through an INSERT
 * DuckDB builds each time), and creating one costs a round trip of its own; a statement
 * prepared once skips both, which is a fifth of what an awaited durable insert of one event
 * costs. The values bound are those the appender would write (chunk-writer.ts): a value
 * this cannot bind exactly (a type other than the ones below, a number beyond 2^53 once
 * scaled, bytes that are not UTF-8) makes {@link RowInsert.run} decline, and the caller
 * appends instead.
 */
import type { Data } from 'apache-arrow';
import type { DuckDBPreparedStatement } from '@duckdb/node-api';
import { DuckDBTimestampValue } from './duckdb-api.js';
import type { ChunkColumn } from './chunk-writer.js';
import { duckError, quoteIdent, type Database } from './database.js';

/** The column types bound here; a table with any other type is always appended. */
const BINDABLE = new Set(['BIGINT', 'TIMESTAMP', 'INT', 'DOUBLE', 'VARCHAR', 'BOOLEAN']);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class RowInsert {
  private constructor(private readonly statement: DuckDBPreparedStatement) {}

  /** The prepared INSERT for a table of `types` (in the table's column order), or null when a type is not bindable. */
  static async prepare(db: Database, table: string, types: readonly string[]): Promise<RowInsert | null> {
    if (!types.every((t) => BINDABLE.has(t))) return null;
    try {
      return new RowInsert(await db.connection.prepare(`INSERT INTO ${quoteIdent(table)} VALUES (${types.map(() => '?').join(', ')})`));
    } catch (e) {
      throw duckError(e, 'STATE');
    }
  }

  /**
   * Inserts row `row` of the columns (the table's, in order) and commits it unless a
   * transaction is open. False when a value cannot be bound exactly: nothing was written.
   */
  async run(columns: readonly ChunkColumn[], row = 0): Promise<boolean> {
    const s = this.statement;
    for (let j = 0; j < columns.length; j++) {
      if (!bind(s, j + 1, columns[j]!, row)) {
        s.clearBindings();
        return false;
      }
    }
    try {
      await s.run();
    } catch (e) {
      throw duckError(e, 'STATE');
    } finally {
      s.clearBindings();
    }
    return true;
  }

  close(): void {
    try {
      this.statement.destroySync();
    } catch {
      // already gone with its connection
    }
  }
}

/** Whether row `r` of Arrow data is valid (as chunk-writer's validityOf reads it). */
function isValid(data: Data, r: number): boolean {
  if (data.typeId === 1 /* Null */) return false;
  const bm = data.nullBitmap;
  if (!(data.nullCount > 0 && bm !== undefined && bm.length > 0)) return true;
  return ((bm[r >> 3]! >> (r & 7)) & 1) === 1;
}

/** An integral number as a BigInt, or null when it is not exactly one (the appender's int64 of it is then not obvious). */
function exactInt(x: number): bigint | null {
  const t = Math.trunc(x);
  return Number.isSafeInteger(t) ? BigInt(t) : null;
}

function bind(s: DuckDBPreparedStatement, i: number, col: ChunkColumn, r: number): boolean {
  const data = 'data' in col ? col.data : null;
  if (data !== null && !isValid(data, r)) {
    s.bindNull(i);
    return true;
  }
  switch (col.type) {
    case 'BIGINT':
    case 'TIMESTAMP': {
      const x = 'numbers' in col ? col.numbers[r]! : (data!.values as Float64Array)[r]!;
      const v = exactInt(col.type === 'TIMESTAMP' ? x * 1000 : x);
      if (v === null) return false;
      if (col.type === 'TIMESTAMP') s.bindTimestamp(i, new DuckDBTimestampValue(v));
      else s.bindBigInt(i, v);
      return true;
    }
    case 'DOUBLE':
      s.bindDouble(i, 'numbers' in col ? col.numbers[r]! : (data!.values as Float64Array)[r]!);
      return true;
    case 'INT':
      s.bindInteger(i, (data!.values as Int32Array)[r]!);
      return true;
    case 'BOOLEAN':
      s.bindBoolean(i, (((data!.values as Uint8Array)[r >> 3]! >> (r & 7)) & 1) === 1);
      return true;
    case 'VARCHAR': {
      const off = data!.valueOffsets as Int32Array;
      let text: string;
      try {
        text = utf8.decode((data!.values as Uint8Array).subarray(off[r]!, off[r + 1]!));
      } catch {
        return false;
      }
      s.bindVarchar(i, text);
      return true;
    }
    default:
      return false;
  }
}
