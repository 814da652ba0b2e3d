/**
 * Window functions over the groups of the same SELECT (`RANK() OVER (ORDER BY SUM(x))`,
 * `SUM(COUNT(*)) OVER ()`): run after GROUP BY and HAVING, over the aggregate's changelog,
 * they equal DuckDB's batch SQL over the same random, out-of-order rows — the groups change
 * as rows arrive, so every rank, running total and LAG is retracted and emitted again.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { runInputArb, useDifferential, type Case } from './differential-harness.js';
import { oracleWindowed, runs, tvfSql } from './oracle.js';

const { check, property } = useDifferential();

const TUMBLE10 = { kind: 'TUMBLE', size: 10_000 } as const;

const CASES: Case[] = [
  {
    name: 'g_rank',
    sql: `SELECT k, COUNT(*) AS n, RANK() OVER (ORDER BY COUNT(*) DESC) AS r FROM s GROUP BY k`,
    oracle: `SELECT k, COUNT(*), RANK() OVER (ORDER BY COUNT(*) DESC) FROM t GROUP BY k`,
  },
  {
    name: 'g_totals',
    sql: `SELECT k, SUM(x) AS total, SUM(SUM(x)) OVER () AS grand, COUNT(*) OVER () AS groups, MAX(COUNT(x)) OVER () AS most FROM s GROUP BY k`,
    oracle: `SELECT k, SUM(x)::BIGINT, (SUM(SUM(x)) OVER ())::BIGINT, COUNT(*) OVER (), MAX(COUNT(x)) OVER () FROM t GROUP BY k`,
  },
  {
    name: 'g_partitioned',
    sql: `SELECT k, v, MAX(x) AS hi, DENSE_RANK() OVER (PARTITION BY k ORDER BY MAX(x) DESC NULLS LAST) AS dr FROM s GROUP BY k, v`,
    oracle: `SELECT k, v, MAX(x), DENSE_RANK() OVER (PARTITION BY k ORDER BY MAX(x) DESC NULLS LAST) FROM t GROUP BY k, v`,
  },
  {
    name: 'g_having_lag',
    sql: `SELECT k, COUNT(*) AS n, LAG(COUNT(*)) OVER (ORDER BY k NULLS FIRST) AS prev, SUM(COUNT(*)) OVER (ORDER BY k NULLS FIRST ROWS 1 PRECEDING) AS pair
          FROM s GROUP BY k HAVING COUNT(*) > 1`,
    oracle: `SELECT k, COUNT(*), LAG(COUNT(*)) OVER (ORDER BY k NULLS FIRST), (SUM(COUNT(*)) OVER (ORDER BY k NULLS FIRST ROWS 1 PRECEDING))::BIGINT
          FROM t GROUP BY k HAVING COUNT(*) > 1`,
  },
  {
    name: 'g_named_window',
    sql: `SELECT v, COUNT(*) AS n, RANK() OVER w AS r, COUNT(*) - MIN(COUNT(*)) OVER w AS above_least FROM s WHERE x > 0 GROUP BY v WINDOW w AS (ORDER BY COUNT(*))`,
    oracle: `SELECT v, COUNT(*), RANK() OVER w, COUNT(*) - MIN(COUNT(*)) OVER w FROM t WHERE x > 0 GROUP BY v WINDOW w AS (ORDER BY COUNT(*))`,
  },
  {
    // ROW_NUMBER over the groups with a bound above: planned as a Top-N of the GROUP BY's changelog.
    name: 'g_top_groups',
    sql: `SELECT k, n, rn FROM (SELECT k, COUNT(*) AS n, ROW_NUMBER() OVER (ORDER BY COUNT(*) DESC, k NULLS FIRST) AS rn FROM s GROUP BY k) WHERE rn <= 2`,
    oracle: `SELECT k, n, rn FROM (SELECT k, COUNT(*) AS n, ROW_NUMBER() OVER (ORDER BY COUNT(*) DESC, k NULLS FIRST) AS rn FROM t GROUP BY k) WHERE rn <= 2`,
  },
  {
    name: 'g_tumble',
    sql: `SELECT window_start, k, COUNT(*) AS n, RANK() OVER (PARTITION BY window_start ORDER BY COUNT(*) DESC) AS r
          FROM ${tvfSql(TUMBLE10)} GROUP BY window_start, window_end, k`,
    oracle: `SELECT window_start, k, COUNT(*), RANK() OVER (PARTITION BY window_start ORDER BY COUNT(*) DESC)
          FROM ${oracleWindowed(TUMBLE10)} GROUP BY window_start, window_end, k`,
  },
];

describe('OVER over the groups of its SELECT equals DuckDB', () => {
  it('over no rows', async () => {
    await check(CASES, [], [1], 1000);
  });

  it('over random out-of-order streams, the groups changing as rows arrive', async () => {
    await property(CASES, runInputArb(fc.constantFrom(0, 1000, 3000), { spanMs: 60_000, nullKeys: true, maxLength: 100 }), runs(4));
  });
});
