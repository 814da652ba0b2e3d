/**
 * `OFFSET m` without LIMIT, and `OFFSET m LIMIT n`, over a bounded source (a file): a view's
 * contents and a top-level SELECT's rows equal DuckDB's over the same rows, over random
 * rows with NULLs and ties (broken by a unique id, so the answer is one). Over an unbounded
 * stream OFFSET without LIMIT is a BIND error, as ORDER BY without LIMIT is.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { tempDir } from '../connectors/helpers.js';
import { rowsArb, sameAsDuckDB } from './file-source-oracle.js';

const tmp = tempDir('sluice-offset-');
afterAll(tmp.cleanup);

/** [view name, query over a table name]. */
const QUERIES: [string, (src: string) => string][] = [
  ['plain', (t) => `SELECT id, k, x FROM ${t} ORDER BY x NULLS FIRST, id OFFSET 4`],
  ['descending', (t) => `SELECT id, x FROM ${t} ORDER BY x DESC NULLS LAST, id DESC OFFSET 2`],
  ['then_limit', (t) => `SELECT id, k FROM ${t} ORDER BY k NULLS FIRST, id OFFSET 3 LIMIT 5`],
  ['groups', (t) => `SELECT k, COUNT(*) AS n, SUM(x) AS total FROM ${t} GROUP BY k ORDER BY n DESC, k NULLS FIRST OFFSET 1`],
  ['zero', (t) => `SELECT id FROM ${t} ORDER BY id OFFSET 0`],
];

describe('OFFSET without LIMIT', () => {
  it('over a bounded source equals DuckDB, as a view and as a SELECT', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb(['a', 'b', 'c'], 3, 25), (rows) => sameAsDuckDB(tmp.dir, rows, QUERIES)),
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
