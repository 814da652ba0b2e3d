/** Engine results in the API's shapes: result columns, changes, and rows DuckDB returned. */
import { OP_NAMES, columnsOf, readValue, type ChangeBatch } from '../exec/batch.js';
import type { QueryResult } from '../state/database.js';
import type { Schema } from '../types.js';
import type { ResultColumn } from './api-types.js';
import { toApiRow, toApiValue, type Change, type Row } from './rows.js';

export function columnsOfSchema(schema: Schema): ResultColumn[] {
  return schema.map((c) => ({ name: c.name, type: c.type }));
}

export function batchChanges(b: ChangeBatch, schema: Schema): Change[] {
  const cols = columnsOf(b);
  const out: Change[] = [];
  for (let i = 0; i < b.length; i++) {
    const values = schema.map((c, j) => readValue(cols[j]!, i, c.type));
    out.push({ op: OP_NAMES[b.ops === null ? 0 : b.ops[i]!]!, row: toApiRow(values, schema) });
  }
  return out;
}

export function toApiResult(r: QueryResult): { columns: ResultColumn[]; rows: Row[] } {
  const columns = r.columns.map((c) => ({ name: c.name, type: c.sqlType ?? c.type }));
  const rows = r.rows.map((values) => {
    const row: Row = {};
    r.columns.forEach((c, j) => (row[c.name] = c.sqlType ? toApiValue(values[j]!, c.sqlType) : values[j]));
    return row;
  });
  return { columns, rows };
}
