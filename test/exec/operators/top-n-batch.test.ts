/**
 * ROW_NUMBER Top-N over appends fed in large batches, many rows of a partition in one batch
 * (rows pushed out within their batch are never stored): against DuckDB, with one number
 * ORDER BY key ascending and descending (compared as numbers) and with a NULL-able first key
 * (compared key by key), with and without an offset.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { useDuck } from './duck.js';
import { longStreamArb, rankCheck } from './ranking-harness.js';

const duck = useDuck();
const check = rankCheck(duck);

/** Batches of 10–150 rows: a partition gets more rows in one than its Top-N keeps. */
const bigCutsArb = fc.array(fc.integer({ min: 10, max: 150 }), { minLength: 1, maxLength: 4 });

const cases: [string, string][] = [
  ['ROW_NUMBER <= 3 by a descending time', `SELECT * FROM (SELECT id, k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS r FROM s) WHERE r <= 3`],
  ['ROW_NUMBER BETWEEN 2 AND 4 by an ascending time (an offset)', `SELECT * FROM (SELECT id, k, ts, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts) AS r FROM s) WHERE r BETWEEN 2 AND 4`],
  ['ROW_NUMBER = 1 by id, no partition', `SELECT id, x FROM (SELECT id, x, ROW_NUMBER() OVER (ORDER BY id DESC) AS r FROM s) WHERE r = 1`],
  ['ROW_NUMBER <= 2 by a NULL-able key then id', `SELECT * FROM (SELECT id, k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x NULLS FIRST, id DESC) AS r FROM s) WHERE r <= 2`],
];

describe('Top-N over appends in large batches equals DuckDB', () => {
  for (const [name, q] of cases) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(longStreamArb, bigCutsArb, async (ev, cuts) => void (await check(q, q, ev, cuts))), { numRuns: 8 });
    }, 120_000);
  }
});
