/**
 * @duckdb/node-api, loaded with `require`. Imported as an ES module, Node first runs its
 * export lexer over each of the package's ~60 CommonJS files (~100 ms of CPU at every start
 * of the CLI); required, it does not. Values come from here; types from the package itself
 * (erased).
 */
import { createRequire } from 'node:module';
import type * as Api from '@duckdb/node-api';

const api = createRequire(import.meta.url)('@duckdb/node-api') as typeof Api;

export const {
  BIGINT,
  BOOLEAN,
  blobValue,
  DATE,
  DECIMAL,
  DOUBLE,
  DuckDBBlobValue,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBIntervalValue,
  DuckDBScalarFunction,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  INTEGER,
  INTERVAL,
  TIMESTAMP,
  VARCHAR,
} = api;

export type DuckDBBlobValue = Api.DuckDBBlobValue;
export type DuckDBConnection = Api.DuckDBConnection;
export type DuckDBDataChunk = Api.DuckDBDataChunk;
export type DuckDBDateValue = Api.DuckDBDateValue;
export type DuckDBDecimalValue = Api.DuckDBDecimalValue;
export type DuckDBInstance = Api.DuckDBInstance;
export type DuckDBIntervalValue = Api.DuckDBIntervalValue;
export type DuckDBTimestampValue = Api.DuckDBTimestampValue;
export type { DuckDBAppender, DuckDBResult, DuckDBType, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
