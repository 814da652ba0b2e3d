/**
 * `AS OF` inside a query (SPEC 2.6): a time-travel read joined with the live contents of the
 * same view, with another view (materialized or plain), with another point in time, and
 * sorted, limited or aggregated as a pull query would be. Each result is compared with
 * DuckDB computing the same thing from the same rows: the view's query over the events, and
 * over the events up to the point (AS OF OFFSET n: offsets 0…n; AS OF TIMESTAMP t: the events
 * before the first whose time is past t, in arrival order).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type Row } from '../../src/index.js';
import { assertSameRows, Oracle, rowValues, sourceSql, T0, type Ev } from './oracle.js';

/** 80 events over 4 keys (one NULL), a little out of order. */
const EVENTS: Ev[] = Array.from({ length: 80 }, (_, i): Ev => ({
  k: i % 9 === 0 ? null : ['a', 'b', 'c'][(i * 7) % 3]!,
  x: i % 11 === 0 ? null : (i * 13) % 17 - 5,
  b: i * 1_000,
  d: i / 4,
  v: `v${i % 5}`,
  ts: T0 + i * 500 + ((i * 31) % 7) * 200,
}));

const TOTALS = `SELECT k, SUM(x) AS s, COUNT(*) AS n FROM s GROUP BY k`;
const TOPS = `SELECT k, MAX(b) AS top FROM s GROUP BY k`;
/** The last point of time travel a query below reads, and the row it cuts before. */
const AT = '2024-01-01 00:00:20';
const AT_MS = Date.UTC(2024, 0, 1, 0, 0, 20);

/** DuckDB's view over table t restricted to `where`. */
const oracleTotals = (where = 'true') => `(SELECT k, SUM(x) AS s, COUNT(*) AS n FROM t WHERE ${where} GROUP BY k)`;
const oracleTops = (where = 'true') => `(SELECT k, MAX(b) AS top FROM t WHERE ${where} GROUP BY k)`;
const upToOffset = (n: number) => `off <= ${n}`;
const beforeTime = (ms: number) => `off < (SELECT coalesce(min(off), 1e18) FROM t WHERE ts > ${ms})`;

let engine: Engine;
let oracle: Oracle;

beforeAll(async () => {
  engine = await Engine.open();
  await engine.execute(sourceSql(1000));
  await engine.execute(`CREATE MATERIALIZED VIEW totals AS ${TOTALS}`);
  await engine.execute(`CREATE MATERIALIZED VIEW tops AS ${TOPS}`);
  await engine.execute(`CREATE VIEW busy AS SELECT k, n FROM totals WHERE n > 5`);
  for (let i = 0; i < EVENTS.length; i += 7) {
    await engine.insert('s', EVENTS.slice(i, i + 7).map((e) => ({ ...e, ts: new Date(e.ts) })));
  }
  oracle = await Oracle.create();
  await oracle.load(EVENTS);
});

afterAll(async () => {
  await engine.close();
  oracle.close();
});

const rowsOf = async (sql: string): Promise<unknown[][]> => ((await engine.execute(sql))[0]!.rows ?? []).map(rowValues);

describe('AS OF in a join', () => {
  it('joins the current contents of a view with its contents at a past time', async () => {
    const rows = await rowsOf(
      `SELECT cur.k, cur.s, past.s AS s_past, past.n AS n_past FROM totals cur JOIN totals AS OF TIMESTAMP '${AT}' past ON cur.k = past.k`,
    );
    const expected = await oracle.rows(
      `SELECT cur.k, cur.s, past.s, past.n FROM ${oracleTotals()} cur JOIN ${oracleTotals(beforeTime(AT_MS))} past ON cur.k = past.k`,
    );
    expect(expected.length).toBeGreaterThan(0);
    assertSameRows(rows, expected, 'totals JOIN totals AS OF TIMESTAMP');
    // The past differs from the present, or the test would not tell them apart.
    expect(rows.some((r) => r[1] !== r[2])).toBe(true);
  });

  it('takes AS OF OFFSET in an outer join, and through the API', async () => {
    const sql = `SELECT cur.k, cur.n, past.n AS n_past FROM totals cur LEFT JOIN totals AS OF OFFSET 12 AS past ON cur.k = past.k`;
    const expected = await oracle.rows(
      `SELECT cur.k, cur.n, past.n FROM ${oracleTotals()} cur LEFT JOIN ${oracleTotals(upToOffset(12))} past ON cur.k = past.k`,
    );
    assertSameRows(await rowsOf(sql), expected, 'LEFT JOIN AS OF OFFSET');
    assertSameRows((await engine.query(sql)).map(rowValues), expected, 'LEFT JOIN AS OF OFFSET through query()');
  });

  it('joins an AS OF read with another materialized view and with a plain view', async () => {
    assertSameRows(
      await rowsOf(`SELECT p.k, p.s, t.top FROM totals AS OF OFFSET 30 p JOIN tops t ON p.k = t.k`),
      await oracle.rows(`SELECT p.k, p.s, t.top FROM ${oracleTotals(upToOffset(30))} p JOIN ${oracleTops()} t ON p.k = t.k`),
      'AS OF JOIN materialized view',
    );
    assertSameRows(
      await rowsOf(`SELECT b.k, b.n, p.n AS n_past FROM busy b JOIN totals AS OF OFFSET 30 p USING (k)`),
      await oracle.rows(`SELECT b.k, b.n, p.n FROM (SELECT * FROM ${oracleTotals()} WHERE n > 5) b JOIN ${oracleTotals(upToOffset(30))} p USING (k)`),
      'plain view JOIN AS OF',
    );
  });

  it('self-joins two different points in time', async () => {
    assertSameRows(
      await rowsOf(
        `SELECT a.k, a.n AS n_then, b.n AS n_later FROM totals AS OF OFFSET 10 a FULL JOIN totals AS OF TIMESTAMP '${AT}' b ON a.k = b.k`,
      ),
      await oracle.rows(`SELECT a.k, a.n, b.n FROM ${oracleTotals(upToOffset(10))} a FULL JOIN ${oracleTotals(beforeTime(AT_MS))} b ON a.k = b.k`),
      'AS OF OFFSET FULL JOIN AS OF TIMESTAMP',
    );
    // A CTE over a past point, joined with the present.
    assertSameRows(
      await rowsOf(`WITH past AS (SELECT k, n FROM tops AS OF OFFSET 5 JOIN totals AS OF OFFSET 40 USING (k)) SELECT p.k, p.n, c.n AS n_now FROM past p JOIN totals c USING (k)`),
      await oracle.rows(
        `WITH past AS (SELECT k, n FROM ${oracleTops(upToOffset(5))} JOIN ${oracleTotals(upToOffset(40))} USING (k)) SELECT p.k, p.n, c.n FROM past p JOIN ${oracleTotals()} c USING (k)`,
      ),
      'CTE of two AS OF reads',
    );
  });
});

describe('AS OF read as a bounded pull query', () => {
  it('allows ORDER BY without LIMIT, LIMIT and aggregates', async () => {
    const ordered = await rowsOf(`SELECT k, s, n FROM totals AS OF OFFSET 25 ORDER BY n DESC, k`);
    expect(ordered).toEqual(await oracle.rows(`SELECT k, s, n FROM ${oracleTotals(upToOffset(25))} ORDER BY n DESC, k`));
    expect(await rowsOf(`SELECT k FROM totals AS OF TIMESTAMP '${AT}' ORDER BY k LIMIT 2`)).toEqual(
      await oracle.rows(`SELECT k FROM ${oracleTotals(beforeTime(AT_MS))} ORDER BY k LIMIT 2`),
    );
    expect(await rowsOf(`SELECT count(*) AS groups, sum(n) AS events FROM totals AS OF OFFSET 25`)).toEqual([[4, 26]]);
    // A source read AS OF is its events up to the point.
    expect(await rowsOf(`SELECT k, count(*) AS n FROM s AS OF OFFSET 15 GROUP BY k ORDER BY k`)).toEqual(
      await oracle.rows(`SELECT k, count(*) FROM t WHERE off <= 15 GROUP BY k ORDER BY k`),
    );
    const params: Row[] = await engine.query(`SELECT k, n FROM totals AS OF OFFSET 25 WHERE n > ? ORDER BY k`, [6]);
    expect(params.map(rowValues)).toEqual(await oracle.rows(`SELECT k, n FROM ${oracleTotals(upToOffset(25))} WHERE n > 6 ORDER BY k`));
  });

  it('beside a live source, still feeds the live views it joins', async () => {
    const rows = await rowsOf(`SELECT p.k, p.n, c.top, s.x FROM totals AS OF OFFSET 20 p JOIN s ON p.k = s.k JOIN tops c ON c.k = s.k`);
    const expected = await oracle.rows(
      `SELECT p.k, p.n, c.top, s.x FROM ${oracleTotals(upToOffset(20))} p JOIN t s ON p.k = s.k JOIN ${oracleTops()} c ON c.k = s.k`,
    );
    expect(expected.length).toBeGreaterThan(0);
    assertSameRows(rows, expected, 'AS OF JOIN source JOIN view');
  });

  it('leaves the live views and no temporary table behind, in a database file too', async () => {
    assertSameRows((await engine.query(`SELECT * FROM totals`)).map(rowValues), await oracle.rows(oracleTotals()), 'live totals');
    expect(await engine.query(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'sluice_as_of%'`)).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-as-of-'));
    try {
      const path = join(dir, 'db.duckdb');
      let e = await Engine.open({ path });
      await e.execute(sourceSql(1000));
      await e.execute(`CREATE MATERIALIZED VIEW totals AS ${TOTALS}`);
      await e.insert('s', EVENTS.map((x) => ({ ...x, ts: new Date(x.ts) })));
      await e.close();
      e = await Engine.open({ path });
      const sql = `SELECT cur.k, cur.n, past.n AS n_past FROM totals cur JOIN totals AS OF OFFSET 33 past ON cur.k = past.k`;
      assertSameRows(
        (await e.query(sql)).map(rowValues),
        await oracle.rows(`SELECT cur.k, cur.n, past.n FROM ${oracleTotals()} cur JOIN ${oracleTotals(upToOffset(33))} past ON cur.k = past.k`),
        'after a reopen',
      );
      await e.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
