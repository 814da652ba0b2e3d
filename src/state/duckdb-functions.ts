/**
 * sluice functions that DuckDB lacks or defines otherwise, registered in each database so a
 * pull query (which DuckDB answers over the views' tables) computes what the same call
 * computes in a streaming query: Flink's DATE_FORMAT and TO_TIMESTAMP patterns,
 * TO_TIMESTAMP_LTZ, and sluice's HASH. They are overloads next to DuckDB's own functions of
 * the same name, so DuckDB's other forms (`to_timestamp(double)`, `hash(a, b)`) stay DuckDB's.
 * Each call goes through the same kernel as the streaming engine's (evalMoreFunction).
 */
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  DuckDBDateValue,
  DuckDBScalarFunction,
  DuckDBTimestampValue,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from './duckdb-api.js';
import { checkConstantArgs, evalMoreFunction, type MoreFn } from '../plan/more-functions.js';
import type { SqlType, Value } from '../types.js';

interface Udf {
  readonly name: string;
  readonly params: readonly SqlType[];
  readonly result: SqlType;
  readonly fn: MoreFn;
  /** Called with NULL arguments too (HASH hashes NULL to a value, as in streaming queries). */
  readonly nulls?: boolean;
}

/** HASH of one value of each type (the several-argument form stays DuckDB's: see the README). */
const HASHES: Udf[] = (['BIGINT', 'INT', 'DOUBLE', 'VARCHAR', 'BOOLEAN', 'TIMESTAMP', 'DATE'] as const).map((t) => ({
  name: 'hash',
  params: [t],
  result: 'BIGINT',
  fn: 'hash',
  nulls: true,
}));

const UDFS: readonly Udf[] = [
  { name: 'date_format', params: ['TIMESTAMP', 'VARCHAR'], result: 'VARCHAR', fn: 'date_format' },
  { name: 'to_timestamp', params: ['VARCHAR'], result: 'TIMESTAMP', fn: 'to_timestamp_text' },
  { name: 'to_timestamp', params: ['VARCHAR', 'VARCHAR'], result: 'TIMESTAMP', fn: 'to_timestamp_text' },
  { name: 'to_timestamp_ltz', params: ['DOUBLE', 'INT'], result: 'TIMESTAMP', fn: 'to_timestamp_ltz' },
  ...HASHES,
];

const DUCK: Partial<Record<SqlType, DuckDBType>> = {
  BIGINT,
  INT: INTEGER,
  DOUBLE,
  VARCHAR,
  BOOLEAN,
  TIMESTAMP,
  DATE,
};

/** A DuckDB value handed to a function, as a sluice value (TIMESTAMP: epoch ms; DATE: days). */
function toSluice(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof DuckDBTimestampValue) return Number(v.micros / 1000n);
  if (v instanceof DuckDBDateValue) return v.days;
  return v as Value;
}

function toDuck(v: Value, type: SqlType): DuckDBValue {
  if (v === null) return null;
  switch (type) {
    case 'BIGINT':
      return BigInt(v as number);
    case 'TIMESTAMP':
      return new DuckDBTimestampValue(BigInt(v as number) * 1000n);
    default:
      return v as DuckDBValue;
  }
}

/** Registers the functions on a connection (they then exist for the whole database instance). */
export function registerSluiceFunctions(connection: DuckDBConnection): void {
  for (const u of UDFS) {
    connection.registerScalarFunction(
      DuckDBScalarFunction.create({
        name: u.name,
        parameterTypes: u.params.map((t) => DUCK[t]!),
        returnType: DUCK[u.result]!,
        specialHandling: u.nulls === true,
        mainFunction: (info, input, output) => {
          const cols = u.params.map((_, j) => input.getColumnVector(j));
          const args: Value[] = new Array(cols.length);
          for (let i = 0; i < input.rowCount; i++) {
            for (let j = 0; j < cols.length; j++) args[j] = toSluice(cols[j]!.getItem(i));
            // What a constant argument would have been refused for at bind time in a stream.
            const refused = checkConstantArgs(u.fn, args);
            if (refused !== undefined) {
              info.setError(refused);
              return;
            }
            output.setItem(i, toDuck(evalMoreFunction(u.fn, args), u.result));
          }
          output.flush();
        },
      }),
    );
  }
}
