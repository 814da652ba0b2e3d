/**
 * SUM and AVG of doubles that are ±Infinity or NaN, where rows are taken back: over a
 * changelog (a GROUP BY whose MIN moves down from +Infinity), in OVER frames that slide
 * them out, and across a checkpoint. Before, the sum retracted an Infinity by subtracting it
 * (Inf - Inf = NaN) and stayed NaN where DuckDB's sum of the rows left is finite.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { useDuck } from '../operators/duck.js';
import { cutsArb, nonFiniteCheck, streamArb } from '../operators/non-finite.js';

const duck = useDuck();
const check = nonFiniteCheck(duck);

const cases: [string, string][] = [
  ['SUM and AVG over a changelog', `SELECT k % 2 AS g, SUM(m) AS s, AVG(m) AS a, COUNT(m) AS n FROM (SELECT k, MIN(x) AS m FROM s GROUP BY k) GROUP BY k % 2`],
  ['SUM and AVG in an OVER frame over a changelog', `SELECT k, m, SUM(m) OVER (ORDER BY k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s, AVG(m) OVER (ORDER BY k ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS a FROM (SELECT k, MIN(x) AS m FROM s GROUP BY k)`],
  ['SUM and AVG in an OVER frame by event time', `SELECT id, SUM(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s, AVG(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS a FROM s`],
];

describe('sums that hold ±Infinity or NaN, with rows taken back, equal DuckDB', () => {
  for (const [name, sql] of cases) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(streamArb, cutsArb, (ev, cuts) => check(sql, sql, ev, cuts)), { numRuns: 15 });
    }, 120_000);
  }
  it('SUM and AVG over a changelog, reopened from a checkpoint midway', async () => {
    await fc.assert(fc.asyncProperty(streamArb, cutsArb, fc.nat(), (ev, cuts, at) => check(cases[0]![1], cases[0]![1], ev, cuts, at)), { numRuns: 10 });
  }, 120_000);
});
