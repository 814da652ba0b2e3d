/**
 * `agg(…) FILTER (WHERE …) OVER (…)` against DuckDB: over event-time order on an append-only
 * stream and over a GROUP BY changelog (whose updates retract rows the filter must judge
 * the same way). Times and orderings are unique so the result is defined.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { duckRows, normRows, useDuck } from './duck.js';

const T0 = Date.UTC(2024, 0, 1);
interface Ev {
  readonly id: number;
  readonly k: number;
  readonly x: number | null;
  readonly ts: number;
}

const streamArb = fc
  .array(fc.record({ k: fc.integer({ min: 0, max: 3 }), x: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null, freq: 6 }), jitter: fc.integer({ min: 0, max: 1500 }) }), { maxLength: 40 })
  .map((rows) =>
    rows
      .map((r, i) => ({ id: i, k: r.k, x: r.x, ts: T0 + i * 700 + (i % 7) * 3, sortKey: T0 + i * 700 - r.jitter }))
      .sort((a, b) => a.sortKey - b.sortKey)
      .map(({ sortKey: _s, ...e }) => e as Ev),
  );
const cutsArb = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 });

const duck = useDuck();

async function check(sluiceSql: string, duckSql: string, events: readonly Ev[], cuts: readonly number[]): Promise<void> {
  const e = await Engine.open();
  await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
  await e.execute(`CREATE MATERIALIZED VIEW v AS ${sluiceSql}`);
  for (let i = 0, c = 0; i < events.length; c++) {
    const n = cuts[c % cuts.length]!;
    await e.insert('s', events.slice(i, i + n).map((x) => ({ ...x, ts: new Date(x.ts) })));
    i += n;
  }
  await e.endOfStream('s');
  const got = normRows((await e.query('SELECT * FROM v')) as Row[], true);
  await e.close();
  await duck().run('CREATE OR REPLACE TABLE s (id BIGINT, k BIGINT, x BIGINT, ts BIGINT)');
  if (events.length) await duck().run(`INSERT INTO s VALUES ${events.map((x) => `(${x.id}, ${x.k}, ${x.x ?? 'NULL'}, ${x.ts})`).join(', ')}`);
  expect(got).toEqual(await duckRows(duck(), duckSql, true));
}

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
