/**
 * The DuckDB database behind an engine: one file (or memory) holding the catalog, event
 * logs, view contents, snapshots and system tables. This wrapper runs SQL, converts results
 * to sluice values, appends columns in bulk and turns DuckDB's errors into SluiceErrors.
 */
import {
  DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBIntervalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from './duckdb-api.js';
import { SluiceError, type ErrorCode, type TextOrigin } from '../errors.js';
import { registerSluiceFunctions } from './duckdb-functions.js';
import { duckdbQueryError } from './duckdb-errors.js';
import type { Schema, SqlType, Value } from '../types.js';
import { decimalType, isDecimal, MAX_UNSCALED, overflowError, precisionOf, scaleOf } from '../decimal.js';
import { appendColumns, duckTypeName, readVector, type ChunkColumn, type ChunkPart } from './chunk-writer.js';
import { batchFromRows, ColumnBuilder } from '../exec/batch.js';
import type { Data } from 'apache-arrow';

/** Quotes an identifier for DuckDB. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A result column: its name, DuckDB type, and the sluice type when there is one. */
export interface ResultColumn {
  readonly name: string;
  readonly type: string;
  readonly sqlType: SqlType | null;
}

export interface QueryResult {
  readonly columns: ResultColumn[];
  /** Values as sluice holds them (TIMESTAMP as epoch ms …); other DuckDB types as text. */
  readonly rows: Value[][];
}

const SQL_TYPE_OF: Record<string, SqlType> = {
  BOOLEAN: 'BOOLEAN',
  TINYINT: 'INT',
  SMALLINT: 'INT',
  INTEGER: 'INT',
  UTINYINT: 'INT',
  USMALLINT: 'INT',
  UINTEGER: 'BIGINT',
  BIGINT: 'BIGINT',
  UBIGINT: 'BIGINT',
  HUGEINT: 'BIGINT',
  UHUGEINT: 'BIGINT',
  FLOAT: 'DOUBLE',
  DOUBLE: 'DOUBLE',
  VARCHAR: 'VARCHAR',
  TIMESTAMP: 'TIMESTAMP',
  TIMESTAMP_MS: 'TIMESTAMP',
  TIMESTAMP_S: 'TIMESTAMP',
  TIMESTAMP_NS: 'TIMESTAMP',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP',
  DATE: 'DATE',
  INTERVAL: 'INTERVAL',
};

function sqlTypeOf(duck: string): SqlType | null {
  const d = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(duck);
  if (d !== null) return decimalType(Number(d[1]), Number(d[2])) ?? null;
  return SQL_TYPE_OF[duck] ?? null;
}

/** A DuckDB value as a sluice value (a DECIMAL as its unscaled integer, see src/decimal.ts). */
export function fromDuck(v: DuckDBValue): Value {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return Number(v.micros / 1000n);
  if (v instanceof DuckDBTimestampMillisecondsValue) return Number(v.millis);
  if (v instanceof DuckDBTimestampSecondsValue) return Number(v.seconds) * 1000;
  if (v instanceof DuckDBTimestampNanosecondsValue) return Number(v.nanos / 1_000_000n);
  if (v instanceof DuckDBDateValue) return v.days;
  if (v instanceof DuckDBIntervalValue) return (v.months * 30 + v.days) * 86_400_000 + Number(v.micros / 1000n);
  if (v instanceof DuckDBDecimalValue) {
    const x = Number(v.value);
    if (!(Math.abs(x) <= MAX_UNSCALED)) throw overflowError(`a value ${v.toString()}`, `DECIMAL(${v.width},${v.scale})`);
    return x;
  }
  return String(v);
}

/** A sluice value as a DuckDB query parameter. */
export function toDuckParam(v: Value, type: SqlType): DuckDBValue {
  if (v === null) return null;
  switch (type) {
    case 'TIMESTAMP':
      return new DuckDBTimestampValue(BigInt(Math.trunc(v as number)) * 1000n);
    case 'DATE':
      return new DuckDBDateValue(v as number);
    case 'INTERVAL':
      return new DuckDBIntervalValue(0, 0, BigInt(Math.round((v as number) * 1000)));
    case 'BIGINT':
      return BigInt(v as number);
    default:
      return isDecimal(type) ? new DuckDBDecimalValue(BigInt(v as number), precisionOf(type), scaleOf(type)) : v;
  }
}

/** Maps a DuckDB error to a SluiceError with the given code, keeping DuckDB's words. */
export function duckError(e: unknown, code: ErrorCode): SluiceError {
  const msg = e instanceof Error ? e.message : String(e);
  return new SluiceError(code, msg.replace(/\s*\n\s*/g, ' ').trim());
}

const STATEMENT_SELECT = 1;
const STATEMENT_NAMES: Record<number, string> = {
  2: 'INSERT',
  3: 'UPDATE',
  4: 'EXPLAIN',
  5: 'DELETE',
  7: 'CREATE',
  9: 'ALTER',
  10: 'transaction',
  11: 'COPY',
  13: 'SET',
  15: 'DROP',
  16: 'EXPORT',
  17: 'PRAGMA',
  19: 'CALL',
  20: 'SET',
  21: 'LOAD',
  25: 'ATTACH',
  26: 'DETACH',
  28: 'COPY DATABASE',
};

/** Instances kept open by {@link Database.release} until the process exits. */
const parked: DuckDBInstance[] = [];
let parking = false;

/**
 * Makes every later `Engine.close()` of an in-memory engine drop its tables but keep the
 * DuckDB instance until the process exits. For the benchmark's measuring process only:
 * closing an instance ends in glibc's `malloc_trim(0)` (DuckDB's Allocator::FlushAll), which
 * hands every free page of the whole process back to the OS, so the next run, in a fresh
 * engine, pays a page fault for each page it touches again (q2 at 1M events: about 4,400
 * faults and twice the time). A process that runs one engine never sees that.
 */
export function parkInstancesOnClose(): void {
  parking = true;
}

/** The instances parked so far (the bench's tests look inside them). */
export function parkedInstances(): readonly DuckDBInstance[] {
  return parked;
}

export class Database {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly path: string | null,
  ) {}

  /** Opens (or creates) the database file, or an in-memory database without a path. */
  static async open(path?: string): Promise<Database> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path ?? ':memory:', { threads: '1' });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/lock/i.test(msg)) {
        throw new SluiceError('STATE', `database '${path}' is already open in another process`);
      }
      throw new SluiceError('STATE', `cannot open database '${path}': ${msg.split('\n')[0]}`);
    }
    const connection = await instance.connect();
    registerSluiceFunctions(connection);
    return new Database(instance, connection, path ?? null);
  }

  /**
   * Runs statements without parameters in one round trip (each round trip costs about a
   * quarter of a millisecond: an engine's start-up made 17 for its tables).
   */
  async runAll(statements: readonly string[]): Promise<void> {
    if (statements.length > 0) await this.run(statements.join(';\n'));
  }

  async run(sql: string, params?: DuckDBValue[]): Promise<void> {
    try {
      await this.connection.run(sql, params);
    } catch (e) {
      throw duckError(e, 'STATE');
    }
  }

  /** Runs a query and reads every row. `code` is the error code for a failure (BIND for user SQL). */
  async query(sql: string, params?: DuckDBValue[], code: ErrorCode = 'STATE'): Promise<QueryResult> {
    let reader;
    try {
      reader = await this.connection.runAndReadAll(sql, params);
    } catch (e) {
      throw duckError(e, code);
    }
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => String(t));
    const columns = names.map((name, i) => ({ name, type: types[i]!, sqlType: sqlTypeOf(types[i]!) }));
    const rows = reader.getRows().map((r) => r.map(fromDuck));
    return { columns, rows };
  }

  /**
   * Runs a user's pull query: exactly one SELECT (DuckDB decides what the statement is, so no
   * write, DDL, ATTACH, COPY, SET or PRAGMA gets through), with `?` parameters. DuckDB's
   * errors point at `origin`, the user's text the query came from (the query itself by default).
   */
  async queryReadOnly(sql: string, params: readonly DuckDBValue[] = [], origin?: TextOrigin): Promise<QueryResult> {
    // Each setting costs a round trip: a query that fails (it only reads) runs again with it.
    try {
      return await this.readOnly(sql, params, origin, true);
    } catch {
      // reported below
    }
    // As JSON, an error carries its position in the text instead of DuckDB's own rendering of it.
    await this.run('SET errors_as_json = true');
    try {
      return await this.readOnly(sql, params, origin);
    } finally {
      await this.run('RESET errors_as_json');
    }
  }

  /**
   * DuckDB's plan of a user's pull query, as EXPLAIN prints it, with its errors as
   * queryReadOnly gives them. `tables` are created empty first (as temporary tables) and
   * dropped after: the tables AS OF reads are answered from, which only exist while one runs.
   */
  async explainReadOnly(sql: string, origin?: TextOrigin, tables: readonly { name: string; schema: Schema }[] = []): Promise<string[]> {
    const prefix = 'EXPLAIN ';
    const shifted = (o: TextOrigin): TextOrigin => ({ sql: o.sql, offsetOf: (pos) => o.offsetOf(Math.max(0, pos - prefix.length)) });
    await this.run('SET errors_as_json = true');
    try {
      for (const t of tables) await this.createTempTable(t.name, t.schema, []);
      let reader;
      try {
        reader = await this.connection.runAndReadAll(prefix + sql);
      } catch (e) {
        throw duckdbQueryError(e, prefix + sql, shifted(origin ?? { sql, offsetOf: (pos) => pos }));
      }
      return reader
        .getRows()
        .map((row) => String(row[1] ?? row[0]))
        .join('\n')
        .split('\n');
    } finally {
      for (const t of tables) await this.dropTempTable(t.name);
      await this.run('RESET errors_as_json');
    }
  }

  /** Creates (or replaces) a temporary table of a sluice schema holding `rows`. */
  async createTempTable(name: string, schema: Schema, rows: readonly (readonly Value[])[]): Promise<void> {
    // DuckDB's own naming of a repeated column (k, k_1) keeps the table valid.
    const seen = new Map<string, number>();
    const ddl = schema.map((c) => {
      const n = seen.get(c.name) ?? 0;
      seen.set(c.name, n + 1);
      return `${quoteIdent(n === 0 ? c.name : `${c.name}_${n}`)} ${duckTypeName(c.type)}`;
    });
    await this.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} (${ddl.join(', ')})`);
    if (rows.length === 0) return;
    const cols = batchFromRows(schema, rows).data.children;
    await this.append(name, schema.map((c, j) => ({ type: c.type, data: cols[j]! })), rows.length);
  }

  async dropTempTable(name: string): Promise<void> {
    await this.run(`DROP TABLE IF EXISTS temp.${quoteIdent(name)}`).catch(() => undefined);
  }

  /** `quick`: prepare the text at once (DuckDB refuses to prepare several statements, and runs none of them), saving the round trip that splits it. */
  private async readOnly(sql: string, params: readonly DuckDBValue[], origin: TextOrigin | undefined, quick = false): Promise<QueryResult> {
    let prepared;
    try {
      if (quick) {
        prepared = await this.connection.prepare(sql);
      } else {
        const extracted = await this.connection.extractStatements(sql);
        if (extracted.count !== 1) {
          throw new SluiceError('IMMUTABLE', `a pull query must be exactly one SELECT statement, got ${extracted.count}`);
        }
        prepared = await extracted.prepare(0);
      }
    } catch (e) {
      if (e instanceof SluiceError) throw e;
      throw duckdbQueryError(e, sql, origin);
    }
    if (prepared.statementType !== STATEMENT_SELECT) {
      const kind = STATEMENT_NAMES[prepared.statementType] ?? 'non-SELECT';
      throw new SluiceError(
        'IMMUTABLE',
        `pull queries can only read: this is a ${kind} statement; views change only through their sources' events`,
      );
    }
    let reader;
    try {
      if (params.length > 0) prepared.bind(params as DuckDBValue[]);
      reader = await prepared.runAndReadAll();
    } catch (e) {
      throw duckdbQueryError(e, sql, origin);
    }
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => String(t));
    return {
      columns: names.map((name, i) => ({ name, type: types[i]!, sqlType: sqlTypeOf(types[i]!) })),
      rows: reader.getRows().map((r) => r.map(fromDuck)),
    };
  }

  /**
   * Streams a query's result as sluice columns of the given types, chunk by chunk (the fast
   * path for replaying event logs and reading view contents).
   */
  async *readColumns(sql: string, types: readonly SqlType[], params?: DuckDBValue[]): AsyncGenerator<{ columns: Data[]; length: number }> {
    let result;
    try {
      result = await this.connection.stream(sql, params);
    } catch (e) {
      throw duckError(e, 'STATE');
    }
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      const columns = types.map((t, j) => {
        const b = new ColumnBuilder(t, chunk.rowCount);
        readVector(chunk.getColumnVector(j), t, b);
        return b.finish();
      });
      yield { columns, length: chunk.rowCount };
    }
  }

  /** Appends rows given column-wise to a table whose columns match `columns` in order. */
  async append(table: string, columns: readonly ChunkColumn[], n: number): Promise<void> {
    await this.appendMany(table, [{ columns, n }]);
  }

  /** Appends several column sets through one appender (one flush for all of them). */
  async appendMany(table: string, parts: readonly ChunkPart[]): Promise<void> {
    if (parts.every((p) => p.n === 0)) return;
    const appender = await this.connection.createAppender(table);
    try {
      appendColumns(appender, parts);
      appender.closeSync();
    } catch (e) {
      throw duckError(e, 'STATE');
    }
  }

  /** Runs `f` in one transaction: all of it is written or none. */
  async transaction<T>(f: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const r = await f();
      await this.run('COMMIT');
      return r;
    } catch (e) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /**
   * Closes the database (an engine's close): once {@link parkInstancesOnClose} was called, an
   * in-memory one is emptied instead and its DuckDB instance kept open until the process exits.
   */
  async release(): Promise<void> {
    if (!parking || this.path !== null) return this.close();
    try {
      const r = await this.connection.runAndReadAll('SELECT database_name, schema_name, table_name FROM duckdb_tables()');
      for (const [d, s, t] of r.getRows()) await this.connection.run(`DROP TABLE IF EXISTS ${[d, s, t].map((x) => quoteIdent(String(x))).join('.')}`);
      this.connection.closeSync();
      parked.push(this.instance);
    } catch {
      this.close();
    }
  }

  close(): void {
    try {
      this.connection.closeSync();
    } catch {
      // closing twice is harmless
    }
    try {
      this.instance.closeSync();
    } catch {
      // idem
    }
  }
}
