/**
 * `agg(…) FILTER (WHERE …) OVER (…)` against DuckDB: over event-time order on an append-only
 * stream and over a GROUP BY changelog (whose updates retract rows the filter must judge
 * the same way). Times and orderings are unique so the result is defined.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { useDuck } from './duck.js';
import { cutsArb, overCheck, streamArb } from './over-harness.js';

const check = overCheck(useDuck());

describe('FILTER (WHERE …) in OVER aggregates equals DuckDB', () => {
  const cases: [string, string, string][] = [
    [
      'ROWS 2 PRECEDING in event-time order',
      `SELECT id, COUNT(*) FILTER (WHERE x > 20) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS c,
              SUM(x) FILTER (WHERE x % 2 = 0) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS se FROM s`,
      `SELECT id, COUNT(*) FILTER (WHERE x > 20) OVER w AS c, SUM(x) FILTER (WHERE x % 2 = 0) OVER w AS se FROM s
       WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)`,
    ],
    [
      'over a GROUP BY changelog, running MAX and AVG',
      `SELECT k, n, MAX(n) FILTER (WHERE k > 0) OVER (ORDER BY n, k ROWS UNBOUNDED PRECEDING) AS m,
              AVG(n) FILTER (WHERE n > 1) OVER (ORDER BY n, k ROWS UNBOUNDED PRECEDING) AS a
       FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k)`,
      `SELECT k, n, MAX(n) FILTER (WHERE k > 0) OVER w AS m, AVG(n) FILTER (WHERE n > 1) OVER w AS a
       FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k) WINDOW w AS (ORDER BY n, k ROWS UNBOUNDED PRECEDING)`,
    ],
  ];
  for (const [name, q, d] of cases) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(streamArb, cutsArb, (ev, cuts) => check(q, d, ev, cuts)), { numRuns: 15 });
    }, 120_000);
  }
});
