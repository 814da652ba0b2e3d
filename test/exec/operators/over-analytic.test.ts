/**
 * Navigation window functions (LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE), frames that end
 * before or after CURRENT ROW, and several OVER specifications in one SELECT, against DuckDB
 * (SPEC 3) over random out-of-order streams cut into random batches: on an append-only stream
 * (rows emitted once decided) and over changelogs (a Top-N that retracts, a GROUP BY that updates).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { duckRows, useDuck } from './duck.js';
import { longStreamArb } from './long-stream.js';
import { cutsArb, norm, overCheck, T0 } from './over-harness.js';

const duck = useDuck();
const check = overCheck(duck);
/** Runs per property: each run opens an engine and feeds 20–60 rows. */
const RUNS = 12;

/** The same query for both engines, but DuckDB's ts is epoch ms: intervals become numbers. */
function both(q: string): [string, string] {
  return [q, q.replace(/INTERVAL '(\d+)' SECOND/g, (_, n: string) => String(Number(n) * 1000))];
}

const appendOnly: [string, string][] = [
  [
    'LAG and LEAD with offsets and defaults',
    `SELECT id, k, LAG(x) OVER (PARTITION BY k ORDER BY ts) AS p1, LAG(x, 2, -1) OVER (PARTITION BY k ORDER BY ts) AS p2,
       LEAD(x) OVER (PARTITION BY k ORDER BY ts) AS n1, LEAD(x, 2, id) OVER (PARTITION BY k ORDER BY ts) AS n2 FROM s`,
  ],
  [
    'FIRST_VALUE, LAST_VALUE, NTH_VALUE and SUM over a frame ending before the current row',
    `SELECT id, FIRST_VALUE(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING) AS f,
       LAST_VALUE(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING) AS l,
       NTH_VALUE(x, 2) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING) AS n,
       SUM(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING) AS t FROM s`,
  ],
  [
    'aggregates and values over ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING (emitted once 2 later rows came)',
    `SELECT id, k, SUM(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING) AS t,
       MIN(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING) AS lo,
       COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING) AS c,
       LAST_VALUE(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING) AS l FROM s`,
  ],
  [
    'a frame entirely after the current row, no partition',
    `SELECT id, AVG(x) OVER (ORDER BY ts ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS a,
       FIRST_VALUE(x) OVER (ORDER BY ts ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS f,
       MAX(x) OVER (ORDER BY ts ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS m FROM s`,
  ],
  [
    'RANGE frame reaching 1 second ahead (emitted once the watermark passes it)',
    `SELECT id, SUM(x) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND INTERVAL '1' SECOND FOLLOWING) AS t,
       MAX(x) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND INTERVAL '1' SECOND FOLLOWING) AS m,
       LAST_VALUE(x) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND INTERVAL '1' SECOND FOLLOWING) AS l,
       COUNT(x) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND INTERVAL '1' SECOND PRECEDING) AS c,
       SUM(x) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '1' SECOND FOLLOWING AND INTERVAL '3' SECOND FOLLOWING) AS ahead FROM s`,
  ],
  [
    'the default frame (RANGE UNBOUNDED PRECEDING to CURRENT ROW)',
    `SELECT id, FIRST_VALUE(x) OVER (PARTITION BY k ORDER BY ts) AS f, LAST_VALUE(x) OVER (PARTITION BY k ORDER BY ts) AS l,
       NTH_VALUE(id, 3) OVER (PARTITION BY k ORDER BY ts) AS n FROM s`,
  ],
  [
    'several OVER specifications in one SELECT (partitions, frames, an order by value)',
    `SELECT id, k, LAG(x) OVER (PARTITION BY k ORDER BY ts) AS p, SUM(x) OVER (ORDER BY ts ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS t,
       ROW_NUMBER() OVER (PARTITION BY k ORDER BY x, id) AS rn, LEAD(id) OVER (ORDER BY ts) AS nxt,
       COUNT(*) OVER (PARTITION BY k ORDER BY ts) AS c FROM s`,
  ],
];

describe('navigation functions and look-ahead frames on an append-only stream equal DuckDB', () => {
  for (const [name, q] of appendOnly) {
    it(name, async () => {
      const [a, b] = both(q);
      await fc.assert(fc.asyncProperty(longStreamArb, cutsArb, (ev, cuts) => check(a, b, ev, cuts)), { numRuns: RUNS });
    }, 120_000);
  }
});

const topOne = `(SELECT * FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY id % 6 ORDER BY x DESC, id) AS rn FROM s) WHERE rn <= 1)`;
/** Up to 24 rows that come and go: two per id % 12 with the largest x. */
const topTwo = `(SELECT * FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY id % 12 ORDER BY x DESC, id) AS rn FROM s) WHERE rn <= 2)`;
/** Ten groups whose counts change: rows of an OVER move as the counts do (ties are RANGE peers). */
const counts = `(SELECT id % 10 AS g, COUNT(x) AS n FROM s GROUP BY g)`;
const changelog: [string, string][] = [
  [
    'over a Top-N that retracts: LAG, LEAD, a frame ending 1 FOLLOWING',
    `SELECT id, k, LAG(x, 1, 0) OVER (PARTITION BY k ORDER BY ts) AS p, LEAD(id) OVER (PARTITION BY k ORDER BY ts) AS n,
       SUM(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS t FROM ${topOne}`,
  ],
  [
    'over a Top-N that retracts: LAG 2 back with a frame that looks only ahead, LEAD 2 ahead',
    `SELECT id, LAG(x, 2, -1) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS p,
       SUM(x) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS t, LEAD(id, 2) OVER (ORDER BY ts) AS n FROM ${topTwo}`,
  ],
  [
    'over a Top-N that retracts: FIRST_VALUE and NTH_VALUE over frames before and after the row',
    `SELECT id, FIRST_VALUE(x) OVER (ORDER BY ts ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING) AS f,
       NTH_VALUE(id, 2) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) AS n,
       LAST_VALUE(id) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS l FROM ${topTwo}`,
  ],
  [
    'over a GROUP BY that updates: RANGE frames ahead and behind (ties are peers)',
    `SELECT g, n, SUM(g) OVER (ORDER BY n RANGE BETWEEN 1 PRECEDING AND 2 FOLLOWING) AS t,
       MAX(g) OVER (ORDER BY n RANGE BETWEEN CURRENT ROW AND 1 FOLLOWING) AS m, COUNT(*) OVER (ORDER BY n RANGE BETWEEN 2 PRECEDING AND 1 PRECEDING) AS c
     FROM ${counts}`,
  ],
  [
    'descending: RANGE frames over a GROUP BY that updates (NULLs first and last) and over rows ordered by id',
    `SELECT g, hi, SUM(g) OVER (ORDER BY hi DESC NULLS LAST RANGE BETWEEN 3 PRECEDING AND 5 FOLLOWING) AS t,
       COUNT(*) OVER (ORDER BY hi DESC NULLS FIRST RANGE BETWEEN 10 PRECEDING AND 2 PRECEDING) AS c,
       MIN(g) OVER (ORDER BY hi DESC RANGE BETWEEN CURRENT ROW AND 4 FOLLOWING) AS m
     FROM (SELECT id % 10 AS g, MAX(x) AS hi FROM s GROUP BY g)`,
  ],
  [
    'descending: a RANGE frame over rows ordered by a column that is not event time',
    `SELECT id, SUM(x) OVER (PARTITION BY k ORDER BY id DESC RANGE BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS t,
       MAX(x) OVER (ORDER BY id DESC RANGE BETWEEN 3 PRECEDING AND CURRENT ROW) AS m FROM s`,
  ],
  [
    'over a GROUP BY that updates: LAG, LEAD and LAST_VALUE ordered by the count',
    `SELECT g, n, LAG(g, 1, -1) OVER (ORDER BY n, g) AS p, LEAD(n, 2) OVER (ORDER BY n, g) AS l2,
       LAST_VALUE(g) OVER (ORDER BY n, g ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS lv FROM ${counts}`,
  ],
];

describe('navigation functions and look-ahead frames over a changelog equal DuckDB', () => {
  for (const [name, q] of changelog) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(longStreamArb, cutsArb, (ev, cuts) => check(q, q, ev, cuts)), { numRuns: RUNS });
    }, 120_000);
  }
});

describe('rows waiting for later rows, reopened from a checkpoint', () => {
  it('continue from the restored history: the result equals DuckDB over all the events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-over-lead-'));
    const path = join(dir, 'db.duckdb');
    const q = `SELECT id, k, LAG(x, 2) OVER (PARTITION BY k ORDER BY ts) AS p, LEAD(x) OVER (PARTITION BY k ORDER BY ts) AS n,
      SUM(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING) AS t FROM s`;
    const events = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, j) => ({ id: from + j, k: ((from + j) * 7) % 3, x: ((from + j) * 13) % 11, ts: new Date(T0 + (from + j) * 1000) }));
    try {
      let e = await Engine.open({ path });
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
      await e.execute(`CREATE MATERIALIZED VIEW v AS ${q}`);
      await e.insert('s', events(0, 14));
      await e.checkpoint();
      await e.close();
      e = await Engine.open({ path });
      await e.insert('s', events(14, 30));
      await e.endOfStream('s');
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

describe('documentation examples', () => {
  it("Confluent's Flink tutorial (lagging events): each reading with the sensor's previous one", async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE temperature_readings (sensor_id INT, temperature DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    await e.execute(`CREATE MATERIALIZED VIEW lagged AS SELECT sensor_id, ts, temperature,
      LAG(temperature, 1) OVER (PARTITION BY sensor_id ORDER BY ts) AS previous_temperature FROM temperature_readings`);
    // Its follow-up: rising or falling, and Flink's two-step lag (LAG(speed, 1, null), LAG(speed, 2, null)).
    await e.execute(`CREATE MATERIALIZED VIEW trend AS SELECT sensor_id, temperature,
      CASE WHEN temperature > LAG(temperature, 1, NULL) OVER (PARTITION BY sensor_id ORDER BY ts) THEN 'up' ELSE 'down' END AS dir,
      LAG(temperature, 2, NULL) OVER (PARTITION BY sensor_id ORDER BY ts) AS two_back FROM temperature_readings`);
    const at = (s: number) => new Date(T0 + s * 1000);
    await e.insert('temperature_readings', [
      { sensor_id: 0, temperature: 55.5, ts: at(1) },
      { sensor_id: 1, temperature: 50.0, ts: at(2) },
      { sensor_id: 0, temperature: 56.0, ts: at(3) },
      { sensor_id: 0, temperature: 55.0, ts: at(4) },
      { sensor_id: 1, temperature: 50.5, ts: at(5) },
    ]);
    await e.endOfStream('temperature_readings');
    const lagged = (await e.query('SELECT sensor_id, temperature, previous_temperature FROM lagged ORDER BY ts')) as Row[];
    expect(lagged.map((r) => [r['sensor_id'], r['temperature'], r['previous_temperature']])).toEqual([
      [0, 55.5, null],
      [1, 50, null],
      [0, 56, 55.5],
      [0, 55, 56],
      [1, 50.5, 50],
    ]);
    const trend = (await e.query('SELECT sensor_id, temperature, dir, two_back FROM trend ORDER BY sensor_id, temperature')) as Row[];
    expect(trend.map((r) => [r['sensor_id'], r['temperature'], r['dir'], r['two_back']])).toEqual([
      [0, 55, 'down', 55.5],
      [0, 55.5, 'down', null],
      [0, 56, 'up', null],
      [1, 50, 'down', null],
      [1, 50.5, 'up', null],
    ]);
    await e.close();
  });

  it('LEAD waits for the next row of its partition; FIRST_VALUE (RisingWave) does not', async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE orders (product VARCHAR, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    await e.execute(`CREATE MATERIALIZED VIEW deltas AS SELECT product, amount, LAG(amount) OVER (PARTITION BY product ORDER BY ts) AS prev,
      amount - LAG(amount, 1, 0) OVER (PARTITION BY product ORDER BY ts) AS delta, LEAD(amount) OVER (PARTITION BY product ORDER BY ts) AS next FROM orders`);
    await e.execute(`CREATE MATERIALIZED VIEW firsts AS SELECT product, amount, FIRST_VALUE(amount) OVER (PARTITION BY product ORDER BY ts) AS first FROM orders`);
    const at = (s: number) => new Date(T0 + s * 1000);
    await e.insert('orders', [
      { product: 'a', amount: 10, ts: at(1) },
      { product: 'b', amount: 5, ts: at(2) },
      { product: 'a', amount: 30, ts: at(3) },
      { product: 'a', amount: 25, ts: at(4) },
      { product: 'b', amount: 7, ts: at(5) },
    ]);
    // At watermark 5 s the last row of each product still waits for its LEAD; b's first row too
    // (b's next row, at 5 s, is not below the watermark yet).
    const before = (await e.query('SELECT product, amount, prev, delta, next FROM deltas ORDER BY product, amount')) as Row[];
    expect(before.map((r) => [r['product'], r['amount'], r['prev'], r['delta'], r['next']])).toEqual([
      ['a', 10, null, 10, 30],
      ['a', 30, 10, 20, 25],
    ]);
    expect(((await e.query('SELECT amount FROM firsts ORDER BY amount')) as Row[]).map((r) => r['amount'])).toEqual([5, 10, 25, 30]);
    await e.endOfStream('orders');
    const after = (await e.query('SELECT product, amount, prev, delta, next FROM deltas ORDER BY product, amount')) as Row[];
    expect(after.map((r) => [r['product'], r['amount'], r['prev'], r['delta'], r['next']])).toEqual([
      ['a', 10, null, 10, 30],
      ['a', 25, 30, -5, null],
      ['a', 30, 10, 20, 25],
      ['b', 5, null, 5, 7],
      ['b', 7, 5, 2, null],
    ]);
    const firsts = (await e.query('SELECT product, amount, first FROM firsts ORDER BY product, amount')) as Row[];
    expect(firsts.map((r) => [r['product'], r['amount'], r['first']])).toEqual([
      ['a', 10, 10],
      ['a', 25, 10],
      ['a', 30, 10],
      ['b', 5, 5],
      ['b', 7, 5],
    ]);
    await e.close();
  });
});

describe('a window over rows that wait for LEAD', () => {
  it('loses none of them: the OVER holds the watermark back (EMIT ON WINDOW CLOSE equals DuckDB)', async () => {
    const q = `WITH o AS (SELECT id, k, x, ts, LEAD(x, 2) OVER (PARTITION BY k ORDER BY ts) AS nx FROM s)
      SELECT window_start, k, COUNT(*) AS c, SUM(nx) AS t FROM TUMBLE(o, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE`;
    const d = `WITH o AS (SELECT id, k, x, ts, LEAD(x, 2) OVER (PARTITION BY k ORDER BY ts) AS nx FROM s)
      SELECT ts - ts % 3000 AS ws, k, COUNT(*), SUM(nx) FROM o GROUP BY ws, k`;
    await fc.assert(fc.asyncProperty(longStreamArb, cutsArb, (ev, cuts) => check(q, d, ev, cuts)), { numRuns: RUNS });
  }, 120_000);
});

describe('late rows', () => {
  it('are dropped from LAG/LEAD and recorded, as for OVER aggregates (SPEC 2.5)', async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`);
    await e.execute(`CREATE MATERIALIZED VIEW v AS SELECT id, LAG(id) OVER (ORDER BY ts) AS p, LEAD(id) OVER (ORDER BY ts) AS n FROM s`);
    const at = (s: number) => new Date(T0 + s * 1000);
    await e.insert('s', [
      { id: 1, k: 0, x: 0, ts: at(10) },
      { id: 2, k: 0, x: 0, ts: at(20) },
      { id: 3, k: 0, x: 0, ts: at(5) }, // below the watermark (19 s): late
      { id: 4, k: 0, x: 0, ts: at(30) },
    ]);
    await e.endOfStream('s');
    const rows = (await e.query('SELECT id, p, n FROM v ORDER BY id')) as Row[];
    expect(rows.map((r) => [r['id'], r['p'], r['n']])).toEqual([
      [1, null, 2],
      [2, 1, 4],
      [4, 2, null],
    ]);
    const late = (await e.query(`SELECT event_time, watermark FROM sluice_late_events`)) as Row[];
    expect(late.map((r) => [(r['event_time'] as Date).getTime(), (r['watermark'] as Date).getTime()])).toEqual([[T0 + 5000, T0 + 19_000]]);
    await e.close();
  });
});

describe('plans and refusals', () => {
  it('EXPLAIN shows one Over node per specification with its calls and emission rule', async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    const [r] = await e.execute(
      `EXPLAIN SELECT id, LAG(x, 2, 0) OVER (PARTITION BY k ORDER BY ts) AS a, SUM(x) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING) AS b FROM s`,
    );
    const plan = r!.rows!.map((x) => x['plan']).join('\n');
    expect(plan).toMatch(/Over: partition=\[\] order=\[ts\] frame=ROWS 1 PRECEDING\.\.2 FOLLOWING calls=\[SUM\(x\)\] emit=after 2 later rows/);
    expect(plan).toMatch(/Over: partition=\[k\] order=\[ts\] frame=RANGE UNBOUNDED PRECEDING\.\.CURRENT ROW calls=\[LAG\(x, 2, over_arg\d+\)\] emit=at watermark/);
    await e.close();
  });

  it('refuses what cannot run, naming the form', async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    const cases: [string, string, string][] = [
      [`SELECT SUM(x) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM s`, 'UNSUPPORTED', 'UNBOUNDED FOLLOWING on a stream'],
      [`SELECT LAG(x) FROM s`, 'BIND', 'LAG is a window function'],
      [`SELECT LAG(x) OVER (PARTITION BY k) FROM s`, 'BIND', 'LAG needs ORDER BY'],
      [`SELECT LAG(x, -1) OVER (ORDER BY ts) FROM s`, 'BIND', 'the offset of LAG'],
      [`SELECT NTH_VALUE(x, 0) OVER (ORDER BY ts) FROM s`, 'BIND', 'the n of NTH_VALUE'],
      [`SELECT NTH_VALUE(x) OVER (ORDER BY ts) FROM s`, 'BIND', 'NTH_VALUE takes NTH_VALUE(value, n)'],
      [`SELECT LEAD(x, 1, 'a') OVER (ORDER BY ts) FROM s`, 'TYPE', 'the default of LEAD'],
      [`SELECT MEDIAN(x) OVER (ORDER BY ts) FROM s`, 'BIND', 'not a window function'],
    ];
    for (const [sql, code, text] of cases) {
      await expect(e.execute(sql), sql).rejects.toMatchObject({ code, message: expect.stringContaining(text) });
    }
    await e.close();
  });
});
