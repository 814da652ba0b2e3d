/**
 * `agg(…) FILTER (WHERE cond)` (SPEC 3): views with filtered aggregates — plain GROUP BY over
 * the append-only source and over a changelog (a GROUP BY view, so the filter must hold for
 * retractions too), and every group-window form with both emit modes — equal DuckDB's batch
 * SQL over the same random, out-of-order rows.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { runInputArb, useDifferential, type Case } from './differential-harness.js';
import { oracleSessions, oracleWindowed, runs, tvfSql } from './oracle.js';

const { check, property } = useDifferential();

const S = 1000;
const CLOSE = 'EMIT ON WINDOW CLOSE';

/** Every aggregate with a filter, in sluice and in DuckDB. */
const FILTERED = [
  ['COUNT(*) FILTER (WHERE x > 0)', 'COUNT(*) FILTER (WHERE x > 0)'],
  ['COUNT(x) FILTER (WHERE d IS NULL)', 'COUNT(x) FILTER (WHERE d IS NULL)'],
  ['COUNT(DISTINCT v) FILTER (WHERE b > 0)', 'COUNT(DISTINCT v) FILTER (WHERE b > 0)'],
  // Filtered and plain COUNT(DISTINCT) of one column share a table, a lane each (shared-distinct.ts).
  ['COUNT(DISTINCT v)', 'COUNT(DISTINCT v)'],
  ['COUNT(DISTINCT v) FILTER (WHERE x > 10)', 'COUNT(DISTINCT v) FILTER (WHERE x > 10)'],
  ['SUM(x) FILTER (WHERE v IS NOT NULL)', 'SUM(x) FILTER (WHERE v IS NOT NULL)::BIGINT'],
  ['SUM(d) FILTER (WHERE x < 50)', 'SUM(d) FILTER (WHERE x < 50)'],
  ['AVG(b) FILTER (WHERE d > 0 OR x IS NULL)', 'AVG(b) FILTER (WHERE d > 0 OR x IS NULL)'],
  ['MIN(x) FILTER (WHERE b > 0)', 'MIN(x) FILTER (WHERE b > 0)'],
  ['MAX(v) FILTER (WHERE x > 10)', 'MAX(v) FILTER (WHERE x > 10)'],
  // The same aggregate with and without a filter must stay two columns.
  ['COUNT(*)', 'COUNT(*)'],
  ['SUM(x)', 'SUM(x)::BIGINT'],
] as const;

const aggList = (side: 0 | 1) => FILTERED.map((a, i) => `${a[side]} AS a${i}`).join(', ');
const TUMBLE10 = { kind: 'TUMBLE', size: 10 * S } as const;
const HOP = { kind: 'HOP', size: 15 * S, slide: 5 * S } as const;
const CUMULATE = { kind: 'CUMULATE', size: 20 * S, slide: 5 * S } as const;

const CASES: Case[] = [
  { name: 'f_group_by', sql: `SELECT k, ${aggList(0)} FROM s GROUP BY k`, oracle: `SELECT k, ${aggList(1)} FROM t GROUP BY k` },
  { name: 'f_global', sql: `SELECT ${aggList(0)} FROM s`, oracle: `SELECT ${aggList(1)} FROM t` },
  {
    // Over a changelog: every change of an inner group retracts its old row, which must meet the same filter.
    name: 'f_over_changelog',
    sql: `SELECT n, COUNT(*) FILTER (WHERE total > 0) AS pos, SUM(total) FILTER (WHERE lo IS NOT NULL) AS st,
            MIN(lo) FILTER (WHERE total > 20) AS ml, COUNT(DISTINCT total) FILTER (WHERE n > 1) AS dt, AVG(total) FILTER (WHERE lo < 0) AS at,
            COUNT(DISTINCT total) AS dt2, COUNT(DISTINCT total) FILTER (WHERE lo > 0) AS dt3
          FROM (SELECT k, v, COUNT(*) AS n, SUM(x) AS total, MIN(d) AS lo FROM s GROUP BY k, v) GROUP BY n`,
    oracle: `SELECT n, COUNT(*) FILTER (WHERE total > 0), SUM(total) FILTER (WHERE lo IS NOT NULL)::BIGINT,
            MIN(lo) FILTER (WHERE total > 20), COUNT(DISTINCT total) FILTER (WHERE n > 1), AVG(total) FILTER (WHERE lo < 0),
            COUNT(DISTINCT total), COUNT(DISTINCT total) FILTER (WHERE lo > 0)
          FROM (SELECT k, v, COUNT(*) AS n, SUM(x) AS total, MIN(d) AS lo FROM t GROUP BY k, v) GROUP BY n`,
  },
  {
    name: 'f_having',
    sql: `SELECT k, COUNT(*) FILTER (WHERE x > 0) AS n FROM s GROUP BY k HAVING COUNT(*) FILTER (WHERE x > 0) > 1`,
    oracle: `SELECT k, COUNT(*) FILTER (WHERE x > 0) FROM t GROUP BY k HAVING COUNT(*) FILTER (WHERE x > 0) > 1`,
  },
  {
    name: 'f_tumble',
    sql: `SELECT window_start, window_end, k, ${aggList(0)} FROM ${tvfSql(TUMBLE10)} GROUP BY window_start, window_end, k`,
    oracle: `SELECT window_start, window_end, k, ${aggList(1)} FROM ${oracleWindowed(TUMBLE10)} GROUP BY window_start, window_end, k`,
  },
  {
    name: 'f_tumble_close',
    sql: `SELECT window_start, window_end, k, ${aggList(0)} FROM ${tvfSql(TUMBLE10)} GROUP BY window_start, window_end, k ${CLOSE}`,
    oracle: `SELECT window_start, window_end, k, ${aggList(1)} FROM ${oracleWindowed(TUMBLE10)} GROUP BY window_start, window_end, k`,
  },
  {
    name: 'f_hop',
    sql: `SELECT window_start, window_end, k, ${aggList(0)} FROM ${tvfSql(HOP)} GROUP BY window_start, window_end, k`,
    oracle: `SELECT window_start, window_end, k, ${aggList(1)} FROM ${oracleWindowed(HOP)} GROUP BY window_start, window_end, k`,
  },
  {
    name: 'f_hop_close',
    sql: `SELECT window_start, window_end, ${aggList(0)} FROM ${tvfSql(HOP)} GROUP BY window_start, window_end ${CLOSE}`,
    oracle: `SELECT window_start, window_end, ${aggList(1)} FROM ${oracleWindowed(HOP)} GROUP BY window_start, window_end`,
  },
  {
    name: 'f_cumulate',
    sql: `SELECT window_start, window_end, k, ${aggList(0)} FROM ${tvfSql(CUMULATE)} GROUP BY window_start, window_end, k`,
    oracle: `SELECT window_start, window_end, k, ${aggList(1)} FROM ${oracleWindowed(CUMULATE)} GROUP BY window_start, window_end, k`,
  },
  {
    name: 'f_cumulate_close',
    sql: `SELECT window_start, window_end, k, ${aggList(0)} FROM ${tvfSql(CUMULATE)} GROUP BY window_start, window_end, k ${CLOSE}`,
    oracle: `SELECT window_start, window_end, k, ${aggList(1)} FROM ${oracleWindowed(CUMULATE)} GROUP BY window_start, window_end, k`,
  },
  {
    name: 'f_group_window_tumble',
    sql: `SELECT TUMBLE_START(ts, INTERVAL '10' SECOND) AS ws, TUMBLE_END(ts, INTERVAL '10' SECOND) AS we, k, ${aggList(0)}
          FROM s GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k ${CLOSE}`,
    oracle: `SELECT window_start, window_end, k, ${aggList(1)} FROM ${oracleWindowed(TUMBLE10)} GROUP BY window_start, window_end, k`,
  },
  {
    name: 'f_session',
    sql: `SELECT window_start, window_end, k, ${aggList(0)} FROM SESSION(s PARTITION BY k, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end, k`,
    oracle: `SELECT session_start, session_end, k, ${aggList(1)} FROM ${oracleSessions(3 * S, 'k')} GROUP BY k, sid, session_start, session_end`,
  },
  {
    name: 'f_group_window_session_close',
    sql: `SELECT k, SESSION_START(ts, INTERVAL '3' SECOND) AS ws, SESSION_END(ts, INTERVAL '3' SECOND) AS we, ${aggList(0)}
          FROM s GROUP BY SESSION(ts, INTERVAL '3' SECOND), k ${CLOSE}`,
    oracle: `SELECT k, session_start, session_end, ${aggList(1)} FROM ${oracleSessions(3 * S, 'k')} GROUP BY k, sid, session_start, session_end`,
  },
];

const delayArb = fc.constantFrom(0, 1000, 3000);

describe('FILTER (WHERE …) equals DuckDB over the same rows', () => {
  it('over no rows', async () => {
    await check(CASES, [], [1], 1000);
  });

  it('GROUP BY over the source and over a changelog, every group window, both emit modes', async () => {
    await property(CASES, runInputArb(delayArb, { spanMs: 60_000, nullKeys: true, maxLength: 120 }), runs(3));
  });
});
