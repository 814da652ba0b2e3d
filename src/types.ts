/**
 * SQL types and schemas shared by every stage after the parser.
 *
 * Values by type, as the executor holds them (see src/exec/batch.ts for the Arrow layout):
 * BOOLEAN → boolean; INT → int32; BIGINT and DOUBLE → number (BIGINT is exact within
 * ±2^53, the range sluice supports); VARCHAR → string; TIMESTAMP → epoch milliseconds (UTC);
 * DATE → days since the epoch; INTERVAL → milliseconds; DECIMAL(p,s) → the unscaled integer
 * (value × 10^s) as a number, exact within ±2^53 (src/decimal.ts). NULL is the type of an
 * untyped NULL.
 */
export type SqlType =
  | 'BOOLEAN'
  | 'INT'
  | 'BIGINT'
  | 'DOUBLE'
  | `DECIMAL(${number},${number})`
  | 'VARCHAR'
  | 'TIMESTAMP'
  | 'DATE'
  | 'INTERVAL'
  | 'NULL';

export const SQL_TYPES: readonly SqlType[] = ['BOOLEAN', 'INT', 'BIGINT', 'DOUBLE', 'VARCHAR', 'TIMESTAMP', 'DATE', 'INTERVAL'];

/** A scalar value of a SQL type, as plan literals and the slow paths hold it. */
export type Value = number | string | boolean | null;

/** One output column of a source, view or plan node. */
export interface Column {
  readonly name: string;
  readonly type: SqlType;
  /**
   * True for an event-time column that the watermark follows (a source's `WATERMARK FOR`
   * column, or every TIMESTAMP column of a source without one; window bounds after a window
   * aggregate). Only such columns can drive windows.
   */
  readonly timeAttr?: boolean;
}

export type Schema = readonly Column[];

/** INT, BIGINT, DOUBLE or a DECIMAL. */
export function isNumeric(t: SqlType): boolean {
  return t === 'INT' || t === 'BIGINT' || t === 'DOUBLE' || (t.charCodeAt(0) === 68 && t.charCodeAt(1) === 69) /* DECIMAL */;
}

export function isIntegral(t: SqlType): boolean {
  return t === 'INT' || t === 'BIGINT';
}

/** Renders a schema as EXPLAIN prints it: `a BIGINT, ts TIMESTAMP*` (* marks event time). */
export function formatSchema(schema: Schema): string {
  return schema.map((c) => `${c.name} ${c.type}${c.timeAttr ? '*' : ''}`).join(', ');
}

export const MS_PER_DAY = 86_400_000;
