/**
 * Named windows (`WINDOW w AS (…)`, `OVER w`, `OVER (w …)`) run as their inline OVER: a
 * view's contents and a SELECT's rows over a file source equal DuckDB's for the same text,
 * over random rows with NULLs and ties (a unique id orders them fully).
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { tempDir } from '../connectors/helpers.js';
import { rowsArb, sameAsDuckDB } from './file-source-oracle.js';

const tmp = tempDir('sluice-named-window-');
afterAll(tmp.cleanup);

const QUERIES: [string, (t: string) => string][] = [
  ['running', (t) => `SELECT id, SUM(x) OVER w AS run, COUNT(x) OVER w AS n FROM ${t} WINDOW w AS (PARTITION BY k ORDER BY id)`],
  ['refined', (t) => `SELECT id, AVG(x) OVER (p ORDER BY id ROWS 2 PRECEDING) AS avg3, MAX(x) OVER (p ORDER BY id) AS hi FROM ${t} WINDOW p AS (PARTITION BY k)`],
  ['chained', (t) => `SELECT id, MIN(x) OVER v AS lo FROM ${t} WINDOW u AS (PARTITION BY k), v AS (u ORDER BY id)`],
];

describe('named windows', () => {
  it('equal DuckDB over a bounded source, as views and as SELECTs', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb(['a', 'b'], 5, 20), (rows) => sameAsDuckDB(tmp.dir, rows, QUERIES, 'id')),
      { numRuns: 20, seed: 20261206 },
    );
  });
});
