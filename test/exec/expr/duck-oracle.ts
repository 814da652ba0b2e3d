/** DuckDB as the oracle of the expression tests: a table `t` of test rows, values passed both ways, and the row-at-a-time interpreter. */
import { afterAll, beforeAll } from 'vitest';
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBIntervalValue,
  DuckDBTimestampValue,
  type DuckDBConnection,
} from '@duckdb/node-api';
import { mapColumns, type BoundExpr } from '../../../src/plan/expr.js';
import type { Schema, SqlType, Value } from '../../../src/types.js';
import { evalConst } from '../../../src/exec/expr/index.js';

/** A sluice value as a DuckDB literal of `type`. */
export function sqlLiteral(v: Value, type: SqlType): string {
  if (v === null) return 'NULL';
  switch (type) {
    case 'VARCHAR':
      return `'${String(v).replace(/'/g, "''")}'`;
    case 'TIMESTAMP':
      return `make_timestamp(${BigInt(v as number) * 1000n})`;
    case 'DOUBLE':
      // Exponent form: DuckDB reads it as a DOUBLE exactly (a plain decimal goes through DECIMAL).
      return `(${(v as number).toExponential()})::DOUBLE`;
    default:
      return String(v);
  }
}

/** A DuckDB result value in sluice's representation of `type`. */
export function fromDuck(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof DuckDBTimestampValue) return Number(v.micros / 1000n);
  if (v instanceof DuckDBDateValue) return v.days;
  if (v instanceof DuckDBIntervalValue) return (v.months * 30 + v.days) * 86_400_000 + Number(v.micros / 1000n);
  if (v instanceof DuckDBDecimalValue) return Number(v.toString());
  throw new Error(`unexpected DuckDB value ${String(v)}`);
}

/** The expression evaluated row by row through constant folding (evalScalar/castValue). */
export function interpret(e: BoundExpr, row: readonly Value[]): Value {
  return evalConst(mapColumns(e, (c) => ({ kind: 'Literal', value: row[c.index]!, type: c.type })));
}

export interface DuckTable {
  /** The file's connection (open between beforeAll and afterAll). */
  readonly con: DuckDBConnection;
  /** Replaces table `t` with the rows: an `id` (the row's index) and the schema's columns. */
  load(rows: readonly (readonly Value[])[]): Promise<void>;
}

/** Opens an in-memory DuckDB for the file's tests, its table `t` of `schema`; call at the top level. */
export function useDuckTable(schema: Schema): DuckTable {
  let instance: DuckDBInstance;
  let con: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    con = await instance.connect();
  });
  afterAll(() => {
    con?.closeSync();
    instance?.closeSync();
  });
  return {
    get con() {
      return con;
    },
    async load(rows) {
      const values = rows
        .map((r, k) => `(${k}, ${schema.map((c, j) => sqlLiteral(r[j] ?? null, c.type)).join(', ')})`)
        .join(',\n');
      const casts = schema.map((c) => `${c.name}::${c.type} AS ${c.name}`).join(', ');
      await con.run(
        `CREATE OR REPLACE TABLE t AS SELECT id, ${casts} FROM (VALUES ${values}) v(id, ${schema.map((c) => c.name).join(', ')})`,
      );
    },
  };
}
