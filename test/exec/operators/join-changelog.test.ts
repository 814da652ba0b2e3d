/**
 * Joins of two changelogs whose join key churns (SPEC 3): the key is a count that every
 * event moves on, so a key's stored rows on both sides come and go, its key id is freed
 * and handed to another key, and a row is retracted from the middle of its key's chain.
 * The view must equal DuckDB's join over the final counts.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { runInputArb, useDifferential, type Case } from '../../engine/differential-harness.js';
import { runs } from '../../engine/oracle.js';

const { property } = useDifferential();

const byK = (t: string) => `(SELECT k, COUNT(*) AS c, MIN(x) AS lo FROM ${t} GROUP BY k)`;
const byV = (t: string) => `(SELECT v, COUNT(*) AS c FROM ${t} GROUP BY v)`;

const CASES: Case[] = (['JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN'] as const).map((j, i) => ({
  name: `churn_${i}`,
  sql: `SELECT a.k, a.c, a.lo, b.v FROM ${byK('s')} a ${j} ${byV('s')} b ON a.c = b.c`,
  oracle: `SELECT a.k, a.c, a.lo, b.v FROM ${byK('t')} a ${j} ${byV('t')} b ON a.c = b.c`,
}));
CASES.push({
  name: 'churn_residual',
  sql: `SELECT a.k, b.v FROM ${byK('s')} a JOIN ${byV('s')} b ON a.c = b.c AND a.lo < b.c * 10`,
  oracle: `SELECT a.k, b.v FROM ${byK('t')} a JOIN ${byV('t')} b ON a.c = b.c AND a.lo < b.c * 10`,
});

describe('joins over changelogs with churning keys equal DuckDB', () => {
  it('inner, outer and residual joins on a count', async () => {
    await property(CASES, runInputArb(fc.constantFrom(0, 2000), { spanMs: 20_000, maxLength: 80, nullKeys: true }), runs(12));
  }, 240_000);
});
