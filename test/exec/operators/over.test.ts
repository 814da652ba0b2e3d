/**
 * OVER against DuckDB (SPEC 3): aggregates over ROWS and RANGE frames ordered by event time
 * (emitted once the watermark passes each row), and Top-N by ROW_NUMBER per partition, over
 * random streams fed in random batches. Times and orderings are unique so the result is
 * defined.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { duckRows, useDuck } from './duck.js';
import { cutsArb, norm, overCheck, streamArb, T0 } from './over-harness.js';

const duck = useDuck();
const check = overCheck(duck);

describe('OVER aggregates ordered by event time equal DuckDB', () => {
  const cases: [string, string, string][] = [
    [
      'ROWS 2 PRECEDING',
      `SELECT id, k, AVG(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a, COUNT(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS c FROM s`,
      `SELECT id, k, AVG(x) OVER w AS a, COUNT(x) OVER w AS c FROM s WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)`,
    ],
    [
      'RANGE 3 seconds PRECEDING, MIN and MAX',
      `SELECT id, MIN(x) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW) AS lo, MAX(x) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW) AS hi FROM s`,
      `SELECT id, MIN(x) OVER w AS lo, MAX(x) OVER w AS hi FROM s WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN 3000 PRECEDING AND CURRENT ROW)`,
    ],
    [
      'running SUM and COUNT(*) (default frame), no partition',
      `SELECT id, SUM(x) OVER (ORDER BY ts) AS total, COUNT(*) OVER (ORDER BY ts) AS n FROM s`,
      `SELECT id, SUM(x) OVER (ORDER BY ts) AS total, COUNT(*) OVER (ORDER BY ts) AS n FROM s`,
    ],
  ];
  for (const [name, q, d] of cases) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(streamArb, cutsArb, (ev, cuts) => check(q, d, ev, cuts)), { numRuns: 25 });
    }, 120_000);
  }
});

describe('OVER aggregates that change (a changelog input, or not ordered by event time) equal DuckDB', () => {
  // Every ORDER BY here is unique within its partition (ids and event times are), except the
  // RANGE frame's, whose ties are peers with a defined result.
  const cases: [string, string, string][] = [
    [
      'ordered by a value on an append-only stream: rows land before rows already emitted',
      `SELECT id, k, SUM(x) OVER (PARTITION BY k ORDER BY x, id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s, MAX(x) OVER (PARTITION BY k ORDER BY x, id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS m FROM s`,
      `SELECT id, k, SUM(x) OVER w AS s, MAX(x) OVER w AS m FROM s WINDOW w AS (PARTITION BY k ORDER BY x, id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)`,
    ],
    [
      'over a GROUP BY (updates), ROWS 1 PRECEDING',
      `SELECT k, n, AVG(n) OVER (ORDER BY n, k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS a, MIN(k) OVER (ORDER BY n, k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS lo
       FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k)`,
      `SELECT k, n, AVG(n) OVER w AS a, MIN(k) OVER w AS lo FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k) WINDOW w AS (ORDER BY n, k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)`,
    ],
    [
      'over a GROUP BY, a running COUNT and SUM (UNBOUNDED PRECEDING)',
      `SELECT k, n, COUNT(*) OVER (ORDER BY n DESC, k ROWS UNBOUNDED PRECEDING) AS c, SUM(n) OVER (ORDER BY n DESC, k ROWS UNBOUNDED PRECEDING) AS t
       FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k)`,
      `SELECT k, n, COUNT(*) OVER w AS c, SUM(n) OVER w AS t FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k) WINDOW w AS (ORDER BY n DESC, k ROWS UNBOUNDED PRECEDING)`,
    ],
    [
      'over a GROUP BY, a RANGE frame (peers share a frame) with MAX and SUM',
      `SELECT k, n, SUM(n) OVER (ORDER BY n RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) AS s, MAX(k) OVER (ORDER BY n RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) AS hi
       FROM (SELECT k, COUNT(x) AS n FROM s GROUP BY k)`,
      `SELECT k, n, SUM(n) OVER w AS s, MAX(k) OVER w AS hi FROM (SELECT k, COUNT(x) AS n FROM s GROUP BY k) WINDOW w AS (ORDER BY n RANGE BETWEEN 2 PRECEDING AND CURRENT ROW)`,
    ],
    [
      'ROW_NUMBER without a Top-N filter: a row that lands early renumbers the rows after it',
      `SELECT id, k, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x, id) AS rn FROM s`,
      `SELECT id, k, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x, id) AS rn FROM s`,
    ],
    [
      'RANK and DENSE_RANK over a GROUP BY (ties share a rank)',
      `SELECT k, n, RANK() OVER (ORDER BY n DESC) AS r, DENSE_RANK() OVER (ORDER BY n DESC) AS d FROM (SELECT k, COUNT(x) AS n FROM s GROUP BY k)`,
      `SELECT k, n, RANK() OVER w AS r, DENSE_RANK() OVER w AS d FROM (SELECT k, COUNT(x) AS n FROM s GROUP BY k) WINDOW w AS (ORDER BY n DESC)`,
    ],
    [
      'partitioned by a DOUBLE that is NULL, NaN or a number: NULL and NaN are two partitions',
      `SELECT k, n, SUM(n) OVER (PARTITION BY p ORDER BY n, k ROWS UNBOUNDED PRECEDING) AS t
       FROM (SELECT k, COUNT(*) AS n, CASE WHEN k % 3 = 0 THEN NULL WHEN k % 3 = 1 THEN CAST('NaN' AS DOUBLE) ELSE 1.5 END AS p FROM s GROUP BY k)`,
      `SELECT k, n, SUM(n) OVER w AS t FROM (SELECT k, COUNT(*) AS n, CASE WHEN k % 3 = 0 THEN NULL WHEN k % 3 = 1 THEN CAST('NaN' AS DOUBLE) ELSE 1.5 END AS p FROM s GROUP BY k)
       WINDOW w AS (PARTITION BY p ORDER BY n, k ROWS UNBOUNDED PRECEDING)`,
    ],
    [
      "over a Top-N that retracts (Nexmark q6's shape)",
      `SELECT k, AVG(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a
       FROM (SELECT * FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY id % 6 ORDER BY x DESC, id) AS rn FROM s) WHERE rn <= 1)`,
      `SELECT k, AVG(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a
       FROM (SELECT * FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY id % 6 ORDER BY x DESC, id) AS rn FROM s) WHERE rn <= 1)`,
    ],
  ];
  for (const [name, q, d] of cases) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(streamArb, cutsArb, (ev, cuts) => check(q, d, ev, cuts)), { numRuns: 25 });
    }, 120_000);
  }
});

describe('an OVER over a changelog, reopened from its checkpoint', () => {
  it('continues from its restored rows: the result equals DuckDB over all the events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-over-'));
    const path = join(dir, 'over.duckdb');
    const q = `SELECT k, n, SUM(n) OVER (ORDER BY n, k ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS near FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k)`;
    const events = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, j) => ({ id: from + j, k: ((from + j) * 7) % 5, x: from + j, ts: new Date(T0 + (from + j) * 1000) }));
    try {
      let e = await Engine.open({ path });
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
      await e.execute(`CREATE MATERIALIZED VIEW v AS ${q}`);
      await e.insert('s', events(0, 12));
      await e.checkpoint();
      await e.close();
      e = await Engine.open({ path });
      await e.insert('s', events(12, 30));
      const got = norm((await e.query('SELECT * FROM v')) as Row[]);
      await e.close();
      await duck().run('CREATE OR REPLACE TABLE s (id BIGINT, k BIGINT, x BIGINT, ts BIGINT)');
      await duck().run(`INSERT INTO s VALUES ${events(0, 30).map((x) => `(${x.id}, ${x.k}, ${x.x}, ${x.ts.getTime()})`).join(', ')}`);
      expect(got).toEqual(await duckRows(duck(), q, true));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Top-N by ROW_NUMBER equals DuckDB', () => {
  it('top 2 per partition with the row number selected', async () => {
    const q = `SELECT * FROM (SELECT id, k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC, id) AS rn FROM s) WHERE rn <= 2`;
    const d = `SELECT * FROM (SELECT id, k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC, id) AS rn FROM s) WHERE rn <= 2`;
    await fc.assert(fc.asyncProperty(streamArb, cutsArb, (ev, cuts) => check(q, d, ev, cuts)), { numRuns: 25 });
  }, 120_000);

  it('the first row per partition (dedup), over a changelog input', async () => {
    const q = `SELECT k, n FROM (SELECT k, n, ROW_NUMBER() OVER (PARTITION BY n ORDER BY k) AS rn FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k)) WHERE rn = 1`;
    const d = `SELECT k, n FROM (SELECT k, n, ROW_NUMBER() OVER (PARTITION BY n ORDER BY k) AS rn FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k)) WHERE rn = 1`;
    await fc.assert(fc.asyncProperty(streamArb, cutsArb, (ev, cuts) => check(q, d, ev, cuts)), { numRuns: 25 });
  }, 120_000);

  it('plans as one TopN per partition', async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    const [r] = await e.execute(`EXPLAIN SELECT * FROM (SELECT id, k, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC) AS rn FROM s) WHERE rn <= 3`);
    expect(r!.rows!.map((x) => x['plan']).join('\n')).toContain('TopN: partition=[k] order=[x DESC] limit=3 row_number=');
    await e.close();
  });

  it('OVER that cannot run on a stream names why', async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    await expect(e.execute(`SELECT id, SUM(x) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM s`)).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('no row could be emitted before the input ends'),
    });
    await e.close();
  });
});
