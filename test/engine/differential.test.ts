/**
 * The consistency invariant (SPEC 3): for any input in which no row is late, the final
 * contents of every materialized view equal the same query run as batch SQL by DuckDB over
 * the same rows. Random streams (out of order within the watermark delay, NULLs in every
 * value column, several keys) are inserted in random batch sizes into one engine holding a
 * family of views; each view is compared with its DuckDB query as a multiset of rows.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { runInputArb, useDifferential, viewsAfterArb, type Case } from './differential-harness.js';
import { cutsArb, oracleSessions, oracleWindowed, runs, streamArb, tvfSql, type WindowSpec } from './oracle.js';

const { check, property } = useDifferential();

const S = 1000;
const CLOSE = 'EMIT ON WINDOW CLOSE';

/** Every aggregate over the types it applies to, in sluice and in DuckDB. */
const ALL_AGGS = [
  ['COUNT(*)', 'COUNT(*)'],
  ['COUNT(x)', 'COUNT(x)'],
  ['COUNT(v)', 'COUNT(v)'],
  ['COUNT(DISTINCT x)', 'COUNT(DISTINCT x)'],
  ['COUNT(DISTINCT v)', 'COUNT(DISTINCT v)'],
  ['COUNT(DISTINCT d)', 'COUNT(DISTINCT d)'],
  ['SUM(x)', 'SUM(x)::BIGINT'],
  ['SUM(b)', 'SUM(b)::BIGINT'],
  ['SUM(d)', 'SUM(d)'],
  ['AVG(x)', 'AVG(x)'],
  ['AVG(b)', 'AVG(b)'],
  ['AVG(d)', 'AVG(d)'],
  ['MIN(x)', 'MIN(x)'],
  ['MAX(x)', 'MAX(x)'],
  ['MIN(b)', 'MIN(b)'],
  ['MAX(b)', 'MAX(b)'],
  ['MIN(d)', 'MIN(d)'],
  ['MAX(d)', 'MAX(d)'],
  ['MIN(v)', 'MIN(v)'],
  ['MAX(v)', 'MAX(v)'],
] as const;
const SOME_AGGS = [ALL_AGGS[0], ALL_AGGS[3], ALL_AGGS[8], ALL_AGGS[10], ALL_AGGS[12], ALL_AGGS[19]];

const aggList = (aggs: readonly (readonly [string, string])[], side: 0 | 1) => aggs.map((a, i) => `${a[side]} AS a${i}`).join(', ');

/** A windowed aggregate per window and k, with the given aggregates and emit mode. */
function windowCase(name: string, w: WindowSpec, aggs: readonly (readonly [string, string])[], emit = '', having?: [string, string]): Case {
  return {
    name,
    sql: `SELECT window_start, window_end, k, ${aggList(aggs, 0)} FROM ${tvfSql(w)}
          GROUP BY window_start, window_end, k ${having ? `HAVING ${having[0]}` : ''} ${emit}`,
    oracle: `SELECT window_start, window_end, k, ${aggList(aggs, 1)} FROM ${oracleWindowed(w)}
             GROUP BY window_start, window_end, k ${having ? `HAVING ${having[1]}` : ''}`,
  };
}

const TUMBLE10: WindowSpec = { kind: 'TUMBLE', size: 10 * S };
const WINDOW_CASES: Case[] = [
  windowCase('tumble_changes', TUMBLE10, ALL_AGGS),
  windowCase('tumble_close', TUMBLE10, ALL_AGGS, CLOSE),
  windowCase('tumble_offset', { kind: 'TUMBLE', size: 10 * S, offset: 3 * S }, SOME_AGGS, CLOSE),
  windowCase('tumble_ms', { kind: 'TUMBLE', size: 1500 }, SOME_AGGS),
  windowCase('hop_changes', { kind: 'HOP', size: 15 * S, slide: 5 * S }, ALL_AGGS),
  windowCase('hop_close', { kind: 'HOP', size: 15 * S, slide: 5 * S }, SOME_AGGS, CLOSE),
  windowCase('hop_uneven', { kind: 'HOP', size: 7 * S, slide: 3 * S }, SOME_AGGS, CLOSE),
  windowCase('hop_offset', { kind: 'HOP', size: 10 * S, slide: 4 * S, offset: 1500 }, SOME_AGGS),
  windowCase('cumulate_changes', { kind: 'CUMULATE', size: 20 * S, slide: 5 * S }, ALL_AGGS),
  windowCase('cumulate_close', { kind: 'CUMULATE', size: 20 * S, slide: 5 * S }, SOME_AGGS, CLOSE),
  windowCase('cumulate_offset', { kind: 'CUMULATE', size: 12 * S, slide: 4 * S, offset: 2 * S }, SOME_AGGS, CLOSE),
  windowCase('cumulate_offset_changes', { kind: 'CUMULATE', size: 12 * S, slide: 3 * S, offset: 7 * S }, SOME_AGGS),
  windowCase('having_changes', TUMBLE10, SOME_AGGS, '', ['COUNT(*) >= 2 AND SUM(x) > 0', 'COUNT(*) >= 2 AND SUM(x) > 0']),
  windowCase('having_close', { kind: 'HOP', size: 15 * S, slide: 5 * S }, SOME_AGGS, CLOSE, ['MAX(d) > 0', 'MAX(d) > 0']),
  {
    name: 'no_keys',
    sql: `SELECT window_start, window_end, COUNT(*) AS n, SUM(d) AS sd, MIN(v) AS mv FROM ${tvfSql(TUMBLE10)} GROUP BY window_start, window_end`,
    oracle: `SELECT window_start, window_end, COUNT(*), SUM(d), MIN(v) FROM ${oracleWindowed(TUMBLE10)} GROUP BY window_start, window_end`,
  },
  {
    name: 'group_window_tumble',
    sql: `SELECT TUMBLE_START(ts, INTERVAL '10' SECOND) AS ws, TUMBLE_END(ts, INTERVAL '10' SECOND) AS we, k, COUNT(*) AS n, AVG(d) AS ad
          FROM s GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k`,
    oracle: `SELECT window_start, window_end, k, COUNT(*), AVG(d) FROM ${oracleWindowed(TUMBLE10)} GROUP BY ALL`,
  },
  {
    name: 'group_window_hop',
    sql: `SELECT HOP_START(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND) AS ws, HOP_END(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND) AS we,
            v, COUNT(x) AS n, MAX(b) AS mb FROM s GROUP BY HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND), v ${CLOSE}`,
    oracle: `SELECT window_start, window_end, v, COUNT(x), MAX(b) FROM ${oracleWindowed({ kind: 'HOP', size: 15 * S, slide: 5 * S })} GROUP BY ALL`,
  },
  {
    name: 'window_tvf_rows',
    sql: `SELECT k, x, ts, window_start, window_end, window_time FROM HOP(s, ts, INTERVAL '3' SECOND, INTERVAL '7' SECOND) WHERE x IS NOT NULL`,
    oracle: `SELECT k, x, ts, window_start, window_end, window_end - 1 FROM ${oracleWindowed({ kind: 'HOP', size: 7 * S, slide: 3 * S })} WHERE x IS NOT NULL`,
  },
  {
    name: 'union_of_windows',
    sql: `SELECT window_start, window_end, 'tumble' AS w, COUNT(*) AS n FROM ${tvfSql(TUMBLE10)} GROUP BY window_start, window_end
          UNION ALL
          SELECT window_start, window_end, 'hop', COUNT(*) FROM HOP(s, ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND) GROUP BY window_start, window_end`,
    oracle: `SELECT window_start, window_end, 'tumble', COUNT(*) FROM ${oracleWindowed(TUMBLE10)} GROUP BY ALL
             UNION ALL
             SELECT window_start, window_end, 'hop', COUNT(*) FROM ${oracleWindowed({ kind: 'HOP', size: 10 * S, slide: 5 * S })} GROUP BY ALL`,
  },
];

const sessionAggs = (side: 0 | 1) => aggList(ALL_AGGS, side);
const SESSION_CASES: Case[] = [
  {
    name: 'session_k',
    sql: `SELECT window_start, window_end, k, ${sessionAggs(0)} FROM SESSION(s PARTITION BY k, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end, k`,
    oracle: `SELECT session_start, session_end, k, ${sessionAggs(1)} FROM ${oracleSessions(3 * S, 'k')} GROUP BY k, sid, session_start, session_end`,
  },
  {
    name: 'session_k_close',
    sql: `SELECT window_start, window_end, window_time, k, COUNT(*) AS n, SUM(d) AS sd, MAX(v) AS mv FROM SESSION(s PARTITION BY k, ts, INTERVAL '2500' MILLISECOND)
          GROUP BY window_start, window_end, window_time, k ${CLOSE}`,
    oracle: `SELECT session_start, session_end, session_end - 1, k, COUNT(*), SUM(d), MAX(v) FROM ${oracleSessions(2500, 'k')} GROUP BY k, sid, session_start, session_end`,
  },
  {
    name: 'session_global',
    sql: `SELECT window_start, window_end, COUNT(*) AS n, COUNT(DISTINCT k) AS dk, MIN(x) AS mx FROM SESSION(s, ts, INTERVAL '2' SECOND) GROUP BY window_start, window_end`,
    oracle: `SELECT session_start, session_end, COUNT(*), COUNT(DISTINCT k), MIN(x) FROM ${oracleSessions(2 * S, null)} GROUP BY sid, session_start, session_end`,
  },
  {
    name: 'session_k_by_v',
    sql: `SELECT window_start, window_end, k, v, COUNT(*) AS n, SUM(x) AS sx FROM SESSION(s PARTITION BY k, ts, INTERVAL '4' SECOND) GROUP BY window_start, window_end, k, v`,
    oracle: `SELECT session_start, session_end, k, v, COUNT(*), SUM(x)::BIGINT FROM ${oracleSessions(4 * S, 'k')} GROUP BY k, sid, session_start, session_end, v`,
  },
  {
    name: 'session_having_close',
    sql: `SELECT window_start, window_end, k, COUNT(*) AS n FROM SESSION(s PARTITION BY k, ts, INTERVAL '3' SECOND)
          GROUP BY window_start, window_end, k HAVING COUNT(*) > 1 ${CLOSE}`,
    oracle: `SELECT session_start, session_end, k, COUNT(*) FROM ${oracleSessions(3 * S, 'k')} GROUP BY k, sid, session_start, session_end HAVING COUNT(*) > 1`,
  },
  {
    name: 'group_window_session',
    sql: `SELECT k, SESSION_START(ts, INTERVAL '3' SECOND) AS ws, SESSION_END(ts, INTERVAL '3' SECOND) AS we, COUNT(*) AS n, AVG(x) AS ax
          FROM s GROUP BY SESSION(ts, INTERVAL '3' SECOND), k`,
    oracle: `SELECT k, session_start, session_end, COUNT(*), AVG(x) FROM ${oracleSessions(3 * S, 'k')} GROUP BY k, sid, session_start, session_end`,
  },
];

const RELATIONAL_CASES: Case[] = [
  {
    name: 'group_by',
    sql: `SELECT k, ${aggList(ALL_AGGS, 0)} FROM s GROUP BY k`,
    oracle: `SELECT k, ${aggList(ALL_AGGS, 1)} FROM t GROUP BY k`,
  },
  {
    name: 'group_by_two_keys_having',
    sql: `SELECT k, v, COUNT(*) AS n, SUM(b) AS sb FROM s GROUP BY k, v HAVING COUNT(x) > 1`,
    oracle: `SELECT k, v, COUNT(*), SUM(b)::BIGINT FROM t GROUP BY k, v HAVING COUNT(x) > 1`,
  },
  {
    name: 'global',
    sql: `SELECT COUNT(*) AS n, SUM(x) AS sx, MIN(v) AS mv, MAX(d) AS md, AVG(b) AS ab FROM s`,
    oracle: `SELECT COUNT(*), SUM(x)::BIGINT, MIN(v), MAX(d), AVG(b) FROM t`,
  },
  {
    name: 'distinct_rows',
    sql: `SELECT DISTINCT k, v FROM s`,
    oracle: `SELECT DISTINCT k, v FROM t`,
  },
  {
    name: 'distinct_windows',
    sql: `SELECT DISTINCT window_start, window_end, k FROM ${tvfSql(TUMBLE10)}`,
    oracle: `SELECT DISTINCT window_start, window_end, k FROM ${oracleWindowed(TUMBLE10)}`,
  },
  {
    // A non-windowed aggregate over a changelog: retractions must be exact (MIN/MAX multisets).
    name: 'aggregate_of_aggregate',
    sql: `SELECT MIN(total) AS lo, MAX(total) AS hi, COUNT(*) AS groups, SUM(total) AS all_x, COUNT(DISTINCT total) AS dt
          FROM (SELECT k, v, SUM(x) AS total FROM s GROUP BY k, v)`,
    oracle: `SELECT MIN(total), MAX(total), COUNT(*), SUM(total)::BIGINT, COUNT(DISTINCT total) FROM (SELECT k, v, SUM(x) AS total FROM t GROUP BY k, v)`,
  },
  {
    name: 'histogram',
    sql: `SELECT n, COUNT(*) AS groups, MIN(k) AS first_k, MAX(lo) AS max_lo FROM (SELECT k, v, COUNT(*) AS n, MIN(d) AS lo FROM s GROUP BY k, v) GROUP BY n`,
    oracle: `SELECT n, COUNT(*), MIN(k), MAX(lo) FROM (SELECT k, v, COUNT(*) AS n, MIN(d) AS lo FROM t GROUP BY k, v) GROUP BY n`,
  },
  {
    name: 'filter_project',
    sql: `SELECT k, x * 2 AS y, UPPER(v) AS u, COALESCE(d, 0) AS dd, ts, CASE WHEN b > 0 THEN 'pos' ELSE 'other' END AS sign
          FROM s WHERE x > 0 OR d IS NULL`,
    oracle: `SELECT k, x * 2, UPPER(v), COALESCE(d, 0), ts, CASE WHEN b > 0 THEN 'pos' ELSE 'other' END FROM t WHERE x > 0 OR d IS NULL`,
  },
  {
    name: 'union_all',
    sql: `SELECT k, x AS val FROM s WHERE x > 10 UNION ALL SELECT v, b FROM s WHERE b > 0 UNION ALL SELECT k || '!', NULL FROM s WHERE v IS NULL`,
    oracle: `SELECT k, x FROM t WHERE x > 10 UNION ALL SELECT v, b FROM t WHERE b > 0 UNION ALL SELECT k || '!', NULL FROM t WHERE v IS NULL`,
  },
];

/** The inner level of a nested window query: 5-second counts per k, its time column renamed. */
const INNER_SQL = `SELECT window_start AS inner_start, window_time AS wt, k, COUNT(*) AS n, SUM(x) AS sx
  FROM TUMBLE(s, ts, INTERVAL '5' SECOND) GROUP BY window_start, window_end, window_time, k`;
const INNER_ORACLE = `(SELECT window_start AS inner_start, window_end - 1 AS ts, k, COUNT(*) AS n, SUM(x)::BIGINT AS sx
  FROM ${oracleWindowed({ kind: 'TUMBLE', size: 5 * S })} GROUP BY ALL)`;

const NESTED_CASES: Case[] = [
  {
    name: 'nested_tumble',
    sql: `SELECT window_start, window_end, COUNT(*) AS groups, SUM(n) AS total, MAX(n) AS biggest, MIN(inner_start) AS first_start, SUM(sx) AS sx
          FROM TUMBLE((${INNER_SQL}), wt, INTERVAL '20' SECOND) GROUP BY window_start, window_end ${CLOSE}`,
    oracle: `SELECT window_start, window_end, COUNT(*), SUM(n)::BIGINT, MAX(n), MIN(inner_start), SUM(sx)::BIGINT
             FROM ${oracleWindowed({ kind: 'TUMBLE', size: 20 * S }, INNER_ORACLE)} GROUP BY ALL`,
  },
  {
    name: 'nested_hop_by_k',
    sql: `SELECT window_start, window_end, k, COUNT(*) AS groups, AVG(n) AS avg_n
          FROM HOP((${INNER_SQL}), wt, INTERVAL '10' SECOND, INTERVAL '30' SECOND) GROUP BY window_start, window_end, k ${CLOSE}`,
    oracle: `SELECT window_start, window_end, k, COUNT(*), AVG(n) FROM ${oracleWindowed({ kind: 'HOP', size: 30 * S, slide: 10 * S }, INNER_ORACLE)} GROUP BY ALL`,
  },
  {
    name: 'nested_session',
    sql: `SELECT window_start, window_end, k, COUNT(*) AS groups, SUM(n) AS total
          FROM SESSION((${INNER_SQL}) PARTITION BY k, wt, INTERVAL '7' SECOND) GROUP BY window_start, window_end, k ${CLOSE}`,
    oracle: `SELECT session_start, session_end, k, COUNT(*), SUM(n)::BIGINT FROM ${oracleSessions(7 * S, 'k', INNER_ORACLE)} GROUP BY k, sid, session_start, session_end`,
  },
  {
    name: 'nested_three_levels',
    sql: `SELECT window_start, window_end, SUM(total) AS total, COUNT(*) AS windows FROM TUMBLE(
            (SELECT window_time AS t2, SUM(n) AS total FROM TUMBLE((${INNER_SQL}), wt, INTERVAL '15' SECOND) GROUP BY window_start, window_end, window_time),
            t2, INTERVAL '45' SECOND) GROUP BY window_start, window_end ${CLOSE}`,
    oracle: `SELECT window_start, window_end, SUM(total)::BIGINT, COUNT(*) FROM ${oracleWindowed(
      { kind: 'TUMBLE', size: 45 * S },
      `(SELECT window_end - 1 AS ts, SUM(n) AS total FROM ${oracleWindowed({ kind: 'TUMBLE', size: 15 * S }, INNER_ORACLE)} GROUP BY window_start, window_end)`,
    )} GROUP BY ALL`,
  },
];

/** Views over other views: an EMIT ON WINDOW CLOSE view windowed again by a second view. */
const VIEW_ON_VIEW: Case[] = [
  { name: 'inner_v', sql: `${INNER_SQL} ${CLOSE}`, oracle: `SELECT inner_start, ts, k, n, sx FROM ${INNER_ORACLE}` },
  {
    name: 'outer_v',
    sql: `SELECT window_start, window_end, k, SUM(n) AS total, MAX(sx) AS msx FROM TUMBLE(inner_v, wt, INTERVAL '20' SECOND) GROUP BY window_start, window_end, k`,
    oracle: `SELECT window_start, window_end, k, SUM(n)::BIGINT, MAX(sx) FROM ${oracleWindowed({ kind: 'TUMBLE', size: 20 * S }, INNER_ORACLE)} GROUP BY ALL`,
  },
  {
    name: 'outer_v_close',
    sql: `SELECT window_start, window_end, COUNT(*) AS groups FROM CUMULATE(inner_v, wt, INTERVAL '10' SECOND, INTERVAL '30' SECOND) GROUP BY window_start, window_end ${CLOSE}`,
    oracle: `SELECT window_start, window_end, COUNT(*) FROM ${oracleWindowed({ kind: 'CUMULATE', size: 30 * S, slide: 10 * S }, INNER_ORACLE)} GROUP BY ALL`,
  },
];

const delayArb = fc.constantFrom(0, 1000, 3000, 5000);

describe('views equal DuckDB batch SQL over the same rows (no late rows)', () => {
  it('over no rows at all (a global aggregate still has its row)', async () => {
    await check([...RELATIONAL_CASES, WINDOW_CASES[0]!, SESSION_CASES[0]!, NESTED_CASES[0]!], [], [1], 1000);
  });

  it('TUMBLE, HOP, CUMULATE (with offsets), HAVING, the GROUP BY form, every aggregate', async () => {
    await property(WINDOW_CASES, runInputArb(delayArb, { spanMs: 90_000, nullKeys: true }), runs(3));
  });

  it('SESSION per partition key, without partition, with extra keys, and the GROUP BY form', async () => {
    await property(
      SESSION_CASES,
      fc
        .tuple(delayArb, fc.constantFrom(20_000, 60_000, 240_000))
        .chain(([delayMs, spanMs]) => fc.tuple(fc.constant(delayMs), streamArb({ delayMs, spanMs, nullKeys: true }), cutsArb(), viewsAfterArb)),
      runs(6),
    );
  });

  it('non-windowed GROUP BY, aggregates over changelogs, DISTINCT, filter, projection, UNION ALL', async () => {
    await property(RELATIONAL_CASES, runInputArb(delayArb, { nullKeys: true }), runs(4));
  });

  it('nested windowed subqueries and views over EMIT ON WINDOW CLOSE views', async () => {
    await property([...NESTED_CASES, ...VIEW_ON_VIEW], runInputArb(delayArb, { spanMs: 150_000, maxLength: 120 }), runs(4));
  });
});
