/**
 * `OFFSET m` without LIMIT, and `OFFSET m LIMIT n`, over a bounded source (a file): a view's
 * contents and a top-level SELECT's rows equal DuckDB's over the same rows, over random
 * rows with NULLs and ties (broken by a unique id, so the answer is one). Over an unbounded
 * stream OFFSET without LIMIT is a BIND error, as ORDER BY without LIMIT is.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { Engine } from '../../src/index.js';
import { tempDir } from '../connectors/helpers.js';

const tmp = tempDir('sluice-offset-');
afterAll(tmp.cleanup);

interface Row {
  id: number;
  k: string | null;
  x: number | null;
}

const rowsArb = fc
  .array(fc.record({ k: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null }), x: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }) }), { maxLength: 25 })
  .map((rs) => rs.map((r, id) => ({ id, ...r })));

/** [view name, query over `src` (the table's name is put in)]. */
const QUERIES: [string, (src: string) => string][] = [
  ['plain', (t) => `SELECT id, k, x FROM ${t} ORDER BY x NULLS FIRST, id OFFSET 4`],
  ['descending', (t) => `SELECT id, x FROM ${t} ORDER BY x DESC NULLS LAST, id DESC OFFSET 2`],
  ['then_limit', (t) => `SELECT id, k FROM ${t} ORDER BY k NULLS FIRST, id OFFSET 3 LIMIT 5`],
  ['groups', (t) => `SELECT k, COUNT(*) AS n, SUM(x) AS total FROM ${t} GROUP BY k ORDER BY n DESC, k NULLS FIRST OFFSET 1`],
  ['zero', (t) => `SELECT id FROM ${t} ORDER BY id OFFSET 0`],
];

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

describe('OFFSET without LIMIT', () => {
  it('over a bounded source equals DuckDB, as a view and as a SELECT', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(rowsArb, async (rows) => {
        const file = join(tmp.dir, `r${run++}.jsonl`);
        writeFileSync(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
        const e = await Engine.open();
        try {
          await e.execute(`CREATE SOURCE src (id BIGINT, k VARCHAR, x BIGINT) WITH (connector = 'file', path = '${file}', format = 'jsonl')`);
          for (const [name, sql] of QUERIES) {
            const expected = await duckdb(rows, sql('t'));
            await e.execute(`CREATE MATERIALIZED VIEW ${name} AS ${sql('src')}`);
            const view = (await e.query(`SELECT * FROM ${name}`)).map((r) => Object.values(r));
            expect(sorted(view), name).toEqual(sorted(expected));
            // A top-level SELECT prints its rows in the ORDER BY's order.
            const [result] = await e.execute(sql('src'));
            expect(result!.rows!.map((r) => Object.values(r)), name).toEqual(expected);
          }
        } finally {
          await e.close();
        }
      }),
      { numRuns: 25, seed: 20261206 },
    );
  });

  it('over an unbounded stream is a BIND error at the OFFSET', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE live (id BIGINT)`);
      await expect(e.execute(`CREATE MATERIALIZED VIEW v AS SELECT id FROM live OFFSET 2`)).rejects.toMatchObject({
        code: 'BIND',
        message: expect.stringContaining('OFFSET on an unbounded stream needs a LIMIT'),
      });
      await e.execute(`CREATE MATERIALIZED VIEW w AS SELECT id FROM live ORDER BY id OFFSET 2 LIMIT 3`);
    } finally {
      await e.close();
    }
  });
});
