/**
 * `RANK()` / `DENSE_RANK()` filtered to a range `m..N` with m > 1 (a page of a ranking) runs
 * as a Top-N with ties to N and a filter on the rank: over an append-only stream, and over a
 * GROUP BY's changelog where a row's rank moves as rows arrive (it leaves the page, comes
 * back, enters from below). Each view equals DuckDB's batch SQL over the same random,
 * out-of-order rows.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { runInputArb, useDifferential, type Case } from './differential-harness.js';
import { runs } from './oracle.js';

const { check, property } = useDifferential();

/** The same query over sluice's source `s` (event time `ts`) and DuckDB's table `t`. */
const both = (name: string, sql: (from: string) => string): Case => ({ name, sql: sql('s'), oracle: sql('t') });

const CASES: Case[] = [
  both('r_page', (t) => `SELECT k, x, ts, r FROM (SELECT k, x, ts, RANK() OVER (PARTITION BY k ORDER BY x DESC NULLS LAST) AS r FROM ${t}) WHERE r BETWEEN 2 AND 3`),
  both('dr_page', (t) => `SELECT k, x, dr FROM (SELECT k, x, DENSE_RANK() OVER (PARTITION BY k ORDER BY x) AS dr FROM ${t}) WHERE dr > 1 AND dr <= 2`),
  both('dr_second', (t) => `SELECT x, d, dr FROM (SELECT x, d, DENSE_RANK() OVER (ORDER BY x NULLS FIRST) AS dr FROM ${t}) WHERE dr = 2`),
  both('r_groups', (t) => `SELECT k, n, r FROM (SELECT k, COUNT(*) AS n, RANK() OVER (ORDER BY COUNT(*) DESC) AS r FROM ${t} GROUP BY k) WHERE r >= 2 AND r <= 3`),
  both('dr_groups', (t) => `SELECT v, k, hi, dr FROM (SELECT v, k, MAX(x) AS hi, DENSE_RANK() OVER (PARTITION BY v ORDER BY MAX(x) NULLS LAST) AS dr FROM ${t} GROUP BY v, k) WHERE dr BETWEEN 2 AND 2`),
  both('r_empty', (t) => `SELECT k, x FROM (SELECT k, x, RANK() OVER (PARTITION BY k ORDER BY x) AS r FROM ${t}) WHERE r >= 3 AND r < 3`),
];

describe('a page of a ranking (rank m..N, m > 1) equals DuckDB', () => {
  it('over no rows', async () => {
    await check(CASES, [], [1], 1000);
  });

  it('over random out-of-order streams, ranks moving as rows arrive', async () => {
    await property(CASES, runInputArb(fc.constantFrom(0, 1000, 3000), { spanMs: 60_000, nullKeys: true, maxLength: 100 }), runs(4));
  });
});
