/**
 * Window table functions (TUMBLE, HOP, CUMULATE) and SESSION over a changelog input against
 * DuckDB (SPEC 3): the input is a Top-N whose rows are pushed out as better ones come, so the
 * window aggregates must retract them (a SESSION may split when a row leaves). Random
 * out-of-order streams in random batches, no late rows.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { useDuck } from './duck.js';
import { longStreamArb } from './long-stream.js';
import { cutsArb, norm, overCheck, T0 } from './over-harness.js';

const duck = useDuck();
const check = overCheck(duck);
/** Runs per property: each run opens an engine and feeds 20–60 rows. */
const RUNS = 12;

/** Two rows per id % 7 with the largest x: rows enter and leave as the stream goes on. */
const TOP = `WITH top AS (SELECT id, k, x, ts FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY id % 7 ORDER BY x DESC, id) AS rn FROM s) WHERE rn <= 2)`;

const cases: [string, string, string][] = [
  [
    'TUMBLE',
    `${TOP} SELECT window_start, window_end, k, COUNT(*) AS c, SUM(x) AS t, MAX(x) AS m FROM TUMBLE(top, ts, INTERVAL '5' SECOND) GROUP BY window_start, window_end, k`,
    `${TOP} SELECT ts - ts % 5000 AS ws, ts - ts % 5000 + 5000 AS we, k, COUNT(*), SUM(x), MAX(x) FROM top GROUP BY ws, we, k`,
  ],
  [
    'TUMBLE, emitted on window close',
    `${TOP} SELECT window_start, k, COUNT(x) AS c, MIN(x) AS m FROM TUMBLE(top, ts, INTERVAL '4' SECOND) GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE`,
    `${TOP} SELECT ts - ts % 4000 AS ws, k, COUNT(x), MIN(x) FROM top GROUP BY ws, k`,
  ],
  [
    'HOP',
    `${TOP} SELECT window_start, window_end, COUNT(*) AS c, AVG(x) AS a FROM HOP(top, ts, INTERVAL '2' SECOND, INTERVAL '6' SECOND) GROUP BY window_start, window_end`,
    `${TOP} SELECT ws, ws + 6000, COUNT(*), AVG(x) FROM top, (SELECT unnest(range(ts - ts % 2000 - 4000, ts - ts % 2000 + 1, 2000)) AS ws) GROUP BY ws`,
  ],
  [
    'CUMULATE',
    `${TOP} SELECT window_start, window_end, k, SUM(x) AS t FROM CUMULATE(top, ts, INTERVAL '2' SECOND, INTERVAL '6' SECOND) GROUP BY window_start, window_end, k`,
    `${TOP} SELECT ts - ts % 6000 AS ws, we, k, SUM(x) FROM top, (SELECT unnest(range(ts - ts % 2000 + 2000, ts - ts % 6000 + 6001, 2000)) AS we) GROUP BY ws, we, k`,
  ],
  [
    'HOP rows without aggregation (each row once per window, retracted from each)',
    `${TOP} SELECT id, window_start, window_end FROM HOP(top, ts, INTERVAL '2' SECOND, INTERVAL '6' SECOND)`,
    `${TOP} SELECT id, ws, ws + 6000 FROM top, (SELECT unnest(range(ts - ts % 2000 - 4000, ts - ts % 2000 + 1, 2000)) AS ws)`,
  ],
];

/** Gaps and islands: a session is a run of a partition's rows less than 2 s apart. */
const sessionsDuck = (select: string) => `${TOP}, t AS (SELECT *, CASE WHEN ts - LAG(ts) OVER (PARTITION BY k ORDER BY ts) < 2000 THEN 0 ELSE 1 END AS brk FROM top),
  g AS (SELECT *, SUM(brk) OVER (PARTITION BY k ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid FROM t)
  SELECT ${select} FROM g GROUP BY k, sid`;

cases.push(
  [
    'SESSION per partition (a retraction can split a session)',
    `${TOP} SELECT window_start, window_end, k, COUNT(*) AS c, SUM(x) AS t, MAX(x) AS m FROM SESSION(top PARTITION BY k, ts, INTERVAL '2' SECOND) GROUP BY window_start, window_end, k`,
    sessionsDuck('MIN(ts), MAX(ts) + 2000, k, COUNT(*), SUM(x), MAX(x)'),
  ],
  [
    'SESSION in the GROUP BY form',
    `${TOP} SELECT k, SESSION_START(ts, INTERVAL '2' SECOND) AS ws, SESSION_END(ts, INTERVAL '2' SECOND) AS we, MIN(x) AS m FROM top GROUP BY k, SESSION(ts, INTERVAL '2' SECOND)`,
    sessionsDuck('k, MIN(ts), MAX(ts) + 2000, MIN(x)'),
  ],
  [
    'SESSION, emitted on window close',
    `${TOP} SELECT window_start, window_end, k, COUNT(DISTINCT x) AS d FROM SESSION(top PARTITION BY k, ts, INTERVAL '2' SECOND) GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE`,
    sessionsDuck('MIN(ts), MAX(ts) + 2000, k, COUNT(DISTINCT x)'),
  ],
);

describe('windows over a changelog input retract and equal DuckDB', () => {
  for (const [name, q, d] of cases) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(longStreamArb, cutsArb, (ev, cuts) => check(q, d, ev, cuts)), { numRuns: RUNS });
    }, 120_000);
  }
});

/**
 * An interval LEFT JOIN pads a row at once and retracts the padding when its match comes,
 * while its watermark moves on: windows close during the stream, between retractions.
 */
const JOINED = `WITH j AS (SELECT a.id, a.k, a.x, a.ts, b.id AS bid FROM s a LEFT JOIN s b ON a.k = b.k AND b.ts > a.ts AND b.ts <= a.ts + INTERVAL '1' SECOND)`;
const JOINED_DUCK = `WITH j AS (SELECT a.id, a.k, a.x, a.ts, b.id AS bid FROM s a LEFT JOIN s b ON a.k = b.k AND b.ts > a.ts AND b.ts <= a.ts + 1000)`;

describe('windows over a join that retracts while the watermark advances equal DuckDB', () => {
  const joined: [string, string, string][] = [
    [
      'TUMBLE',
      `${JOINED} SELECT window_start, k, COUNT(*) AS c, COUNT(bid) AS m FROM TUMBLE(j, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end, k`,
      `${JOINED_DUCK} SELECT ts - ts % 3000 AS ws, k, COUNT(*), COUNT(bid) FROM j GROUP BY ws, k`,
    ],
    [
      'SESSION',
      `${JOINED} SELECT window_start, window_end, k, COUNT(*) AS c, COUNT(bid) AS m FROM SESSION(j PARTITION BY k, ts, INTERVAL '2' SECOND) GROUP BY window_start, window_end, k`,
      `${JOINED_DUCK}, t AS (SELECT *, CASE WHEN ts - LAG(ts) OVER (PARTITION BY k ORDER BY ts) < 2000 THEN 0 ELSE 1 END AS brk FROM j),
        g AS (SELECT *, SUM(brk) OVER (PARTITION BY k ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid FROM t)
        SELECT MIN(ts), MAX(ts) + 2000, k, COUNT(*), COUNT(bid) FROM g GROUP BY k, sid`,
    ],
  ];
  for (const [name, q, d] of joined) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(longStreamArb, cutsArb, (ev, cuts) => check(q, d, ev, cuts)), { numRuns: RUNS });
    }, 120_000);
  }
});

describe('SESSION over a changelog, step by step', () => {
  it('splits a session when the row bridging it is retracted, after a checkpoint and reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-session-'));
    const path = join(dir, 'db.duckdb');
    let e = await Engine.open({ path });
    await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    // The latest row per id (dedup keeping the last): a newer row for an id retracts the older one.
    await e.execute(`CREATE MATERIALIZED VIEW v AS
      WITH last AS (SELECT id, k, x, ts FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY id ORDER BY x DESC) AS rn FROM s) WHERE rn = 1)
      SELECT window_start, window_end, COUNT(*) AS c FROM SESSION(last PARTITION BY k, ts, INTERVAL '2' SECOND) GROUP BY window_start, window_end, k`);
    const at = (s: number) => new Date(T0 + s * 1000);
    const rows = async () => norm((await e.query('SELECT window_start, window_end, c FROM v')) as Row[]);
    await e.insert('s', [
      { id: 1, k: 0, x: 1, ts: at(10) },
      { id: 2, k: 0, x: 1, ts: at(11.5) },
      { id: 3, k: 0, x: 1, ts: at(13) },
    ]);
    expect(await rows()).toEqual([JSON.stringify([T0 + 10_000, T0 + 15_000, 3])]);
    await e.checkpoint();
    await e.close();
    e = await Engine.open({ path });
    // id 2 moves far away: its old row leaves, and the session splits in two.
    await e.insert('s', [{ id: 2, k: 0, x: 5, ts: at(30) }]);
    expect(await rows()).toEqual(
      [
        [T0 + 10_000, T0 + 12_000, 1],
        [T0 + 13_000, T0 + 15_000, 1],
        [T0 + 30_000, T0 + 32_000, 1],
      ].map((r) => JSON.stringify(r)),
    );
    await e.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
