/**
 * Running aggregates (a frame from UNBOUNDED PRECEDING) on an append-only stream keep their
 * values, not their rows: they equal DuckDB over random out-of-order streams (rows dropped
 * as soon as the aggregates took them in), across a checkpoint, and the operator's state
 * stays a few entries per partition however many rows pass.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { duckRows, useDuck } from './duck.js';
import { longStream } from './long-stream.js';
import { cutsArb, norm, overCheck, T0 } from './over-harness.js';

const duck = useDuck();
const check = overCheck(duck);
const RUNS = 12;
const streamArb = longStream(4);

const queries: [string, string][] = [
  [
    'running COUNT, SUM, AVG, MIN and MAX (the default frame: peers included)',
    `SELECT id, k, COUNT(*) OVER (PARTITION BY k ORDER BY ts) AS c, SUM(x) OVER (PARTITION BY k ORDER BY ts) AS s,
       AVG(x) OVER (PARTITION BY k ORDER BY ts) AS a, MIN(x) OVER (PARTITION BY k ORDER BY ts) AS lo, MAX(x) OVER (PARTITION BY k ORDER BY ts) AS hi FROM s`,
  ],
  [
    'a ROWS frame from UNBOUNDED PRECEDING to 2 FOLLOWING, with LAG, LEAD and LAST_VALUE',
    `SELECT id, SUM(x) OVER w AS s, MAX(x) OVER w AS hi, COUNT(x) OVER w AS c, LAST_VALUE(x) OVER w AS l,
       LAG(x, 2) OVER w AS p, LEAD(id) OVER w AS n FROM s WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 2 FOLLOWING)`,
  ],
  [
    'a frame ending before the row, no partition',
    `SELECT id, SUM(x) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS s,
       MIN(x) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS lo FROM s`,
  ],
  [
    'FIRST_VALUE and NTH_VALUE beside a running SUM (they keep the first values), with and without IGNORE NULLS',
    `SELECT id, FIRST_VALUE(x) OVER w AS f, NTH_VALUE(x, 3) OVER w AS n3, FIRST_VALUE(x IGNORE NULLS) OVER w AS fi,
       NTH_VALUE(x, 2 IGNORE NULLS) OVER w AS n2i, SUM(x) OVER w AS s FROM s WINDOW w AS (PARTITION BY k ORDER BY ts)`,
  ],
  [
    'NTH_VALUE over a frame ending before the row',
    `SELECT id, NTH_VALUE(x, 2) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING) AS n,
       FIRST_VALUE(id) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS f FROM s`,
  ],
  [
    'a forward fill (LAST_VALUE ignoring NULLs) and a LAST_VALUE over a frame ending before the row, beside a running MAX',
    `SELECT id, LAST_VALUE(x IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS l, MAX(x) OVER (PARTITION BY k ORDER BY ts) AS hi,
       LAST_VALUE(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING) AS lb,
       LAST_VALUE(x IGNORE NULLS) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS lbi FROM s`,
  ],
];

describe('running aggregates on an append-only stream equal DuckDB', () => {
  for (const [name, q] of queries) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(streamArb, cutsArb, (ev, cuts) => check(q, q, ev, cuts)), { numRuns: RUNS });
    }, 120_000);
  }
});

const events = (from: number, to: number, x: (id: number) => number | null) =>
  Array.from({ length: to - from }, (_, j) => {
    const id = from + j;
    return { id, k: id % 3, x: x(id), ts: new Date(T0 + id * 1000) };
  });

describe('a running aggregate keeps values, not rows', () => {
  it('its state is a few entries per partition after 6,000 rows', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
      await e.execute(`CREATE MATERIALIZED VIEW v AS SELECT id, SUM(x) OVER w AS s, MAX(x) OVER w AS hi, NTH_VALUE(x, 2) OVER w AS second, LAST_VALUE(x IGNORE NULLS) OVER w AS filled FROM s WINDOW w AS (PARTITION BY k ORDER BY ts)`);
      for (let at = 0; at < 6000; at += 500) await e.insert('s', events(at, at + 500, (id) => (id * 7) % 101));
      // Three partitions, and the rows within the 2 s delay not yet passed by the watermark.
      expect(e.metrics().stateSize).toBeLessThan(20);
      const [last] = await e.query(`SELECT s, hi, second, filled FROM v WHERE id = 5996`);
      let sum = 0;
      for (let id = 2; id <= 5996; id += 3) sum += (id * 7) % 101;
      expect(last).toEqual({ s: sum, hi: 100, second: (5 * 7) % 101, filled: (5996 * 7) % 101 });
    } finally {
      await e.close();
    }
  });

  it('reopened from a checkpoint, continues from the saved values: equal to DuckDB over all the events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-over-running-'));
    const path = join(dir, 'db.duckdb');
    const q = `SELECT id, k, SUM(x) OVER (PARTITION BY k ORDER BY ts) AS s, MIN(x) OVER (PARTITION BY k ORDER BY ts) AS lo,
      AVG(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING) AS a, COUNT(x) OVER (PARTITION BY k ORDER BY ts) AS c,
      NTH_VALUE(x, 2 IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS n2, LAST_VALUE(x IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS filled FROM s`;
    // NULL around the checkpoint too: a forward fill after it reaches back past it.
    const x = (id: number) => (id % 5 === 0 || (id >= 380 && id < 420) ? null : (id * 13) % 17);
    try {
      let e = await Engine.open({ path });
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
      await e.execute(`CREATE MATERIALIZED VIEW v AS ${q}`);
      await e.insert('s', events(0, 400, x));
      await e.checkpoint();
      await e.close();
      e = await Engine.open({ path });
      await e.insert('s', events(400, 700, x));
      await e.endOfStream('s');
      const got = norm((await e.query('SELECT * FROM v')) as Row[]);
      await e.close();
      await duck().run('CREATE OR REPLACE TABLE s (id BIGINT, k BIGINT, x BIGINT, ts BIGINT)');
      await duck().run(`INSERT INTO s VALUES ${events(0, 700, x).map((r) => `(${r.id}, ${r.k}, ${r.x ?? 'NULL'}, ${r.ts.getTime()})`).join(', ')}`);
      expect(got).toEqual(await duckRows(duck(), q, true));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
