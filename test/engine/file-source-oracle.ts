/**
 * DuckDB as the oracle for queries over a bounded file source: random rows (a unique id, a
 * nullable key and number) go to a jsonl file read by a sluice source `src` and to a DuckDB
 * table `t`; each query, written once for either name, must give the same rows as a view and
 * as a top-level SELECT.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { Engine } from '../../src/index.js';

export interface Row {
  id: number;
  k: string | null;
  x: number | null;
}

/** Up to `maxLength` rows with ids 0, 1, …, keys from `keys` or NULL, x in [-max, max] or NULL. */
export function rowsArb(keys: readonly string[], max: number, maxLength: number): fc.Arbitrary<Row[]> {
  const row = fc.record({ k: fc.option(fc.constantFrom(...keys), { nil: null }), x: fc.option(fc.integer({ min: -max, max }), { nil: null }) });
  return fc.array(row, { maxLength }).map((rs) => rs.map((r, id) => ({ id, ...r })));
}

async function duckdb(rows: readonly Row[], sql: string): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    await c.run(`CREATE TABLE t (id BIGINT, k VARCHAR, x BIGINT)`);
    for (const r of rows) await c.run(`INSERT INTO t VALUES (${r.id}, ${r.k === null ? 'NULL' : `'${r.k}'`}, ${r.x ?? 'NULL'})`);
    return (await c.runAndReadAll(sql)).getRows().map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const sorted = (rows: unknown[][]): unknown[][] => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/**
 * Checks each [view name, query of a table name] over `rows`. `orderBy` (a column) is
 * appended to every query and view read; without it the queries order themselves, and a
 * view's rows are compared in any order.
 */
export async function sameAsDuckDB(dir: string, rows: readonly Row[], queries: readonly [string, (t: string) => string][], orderBy?: string): Promise<void> {
  const file = join(dir, `rows-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  const order = orderBy === undefined ? '' : ` ORDER BY ${orderBy}`;
  const e = await Engine.open();
  try {
    await e.execute(`CREATE SOURCE src (id BIGINT, k VARCHAR, x BIGINT) WITH (connector = 'file', path = '${file}', format = 'jsonl')`);
    for (const [name, sql] of queries) {
      const expected = await duckdb(rows, sql('t') + order);
      await e.execute(`CREATE MATERIALIZED VIEW ${name} AS ${sql('src')}`);
      const view = (await e.query(`SELECT * FROM ${name}${order}`)).map((r) => Object.values(r));
      if (orderBy === undefined) expect(sorted(view), name).toEqual(sorted(expected));
      else expect(view, name).toEqual(expected);
      const [result] = await e.execute(sql('src') + order);
      expect(result!.rows!.map((r) => Object.values(r)), name).toEqual(expected);
    }
  } finally {
    await e.close();
  }
}
