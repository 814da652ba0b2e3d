/**
 * MATCH_RECOGNIZE state: a checkpoint taken in the middle of a match restores to the same
 * matches as an uninterrupted run; WITHIN and finished attempts free rows as the watermark
 * passes them; rows behind the watermark are late and recorded; arrival order does not
 * change the matches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../../src/index.js';
import { table, TICKER } from './helpers.js';

const T0 = Date.UTC(2011, 3, 1, 10);
const tick = (prices: readonly number[], from = 0) => prices.map((price, i) => ({ symbol: 'ACME', price, tax: 0, rowtime: new Date(T0 + (from + i) * 1000) }));

/** Flink's aggregation example: A+ B while AVG(A.price) < 15 (each step reads the partial match). */
const AVG_VIEW = `CREATE MATERIALIZED VIEW v AS SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES FIRST(A.rowtime) AS t0, LAST(A.rowtime) AS t1, AVG(A.price) AS avg_price, MATCH_NUMBER() AS mno
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A+ B)
  DEFINE A AS AVG(A.price) < 15)`;
const PRICES = [12, 17, 13, 16, 25, 2, 4, 10, 15, 25, 25, 30, 1, 2, 3, 40];

describe('checkpoint and restore', () => {
  it('restores an attempt in progress at every cut point to the same matches', async () => {
    const uninterrupted = await Engine.open();
    await uninterrupted.execute(TICKER);
    await uninterrupted.execute(AVG_VIEW);
    await uninterrupted.insert('ticker', tick(PRICES));
    await uninterrupted.endOfStream('ticker');
    const expected = table(await uninterrupted.query('SELECT * FROM v'));
    await uninterrupted.close();
    expect(expected.length).toBe(3);

    const dir = mkdtempSync(join(tmpdir(), 'sluice-mr-'));
    try {
      // Inside the first, second and third match.
      for (const cut of [3, 7, 13]) {
        const path = join(dir, `cut${cut}.duckdb`);
        let e = await Engine.open({ path });
        await e.execute(TICKER);
        await e.execute(AVG_VIEW);
        await e.insert('ticker', tick(PRICES.slice(0, cut)));
        await e.checkpoint();
        await e.close();
        e = await Engine.open({ path });
        await e.insert('ticker', tick(PRICES.slice(cut), cut));
        await e.endOfStream('ticker');
        expect(table(await e.query('SELECT * FROM v')), `cut after row ${cut}`).toEqual(expected);
        await e.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('incremental checkpoints', () => {
  it('restores from incremental checkpoints, with partitions dropped and made again in between', async () => {
    // A partition with no rows left is dropped (no MATCH_NUMBER, no PREV here) and may come back.
    const view = `CREATE MATERIALIZED VIEW v AS SELECT * FROM ticker MATCH_RECOGNIZE (
      PARTITION BY symbol ORDER BY rowtime MEASURES FIRST(price) AS a, LAST(price) AS b, COUNT(*) AS n
      PATTERN (A B+ C) DEFINE A AS price = 1, B AS price = 2, C AS price = 3)`;
    const inTimeOrder = <R extends { rowtime: Date }>(rs: R[]) => rs.sort((a, b) => a.rowtime.getTime() - b.rowtime.getTime());
    const row = (symbol: string, price: number, ms: number) => ({ symbol, price, tax: 0, rowtime: new Date(T0 + ms) });
    const xy = [1, 2, 3, 1, 2, 2, 9, 1, 2, 2, 2, 3, 1, 2].flatMap((price, i) => [row('X', price, i * 1000), row('Y', i < 7 ? 9 : price, i * 1000 + 500)]);
    // Z: 1 2 (a match in progress at the first checkpoint), then 9 ends it and Z is dropped
    // before the second; a 3 after the restore must not complete the stale 1 2.
    const steps = [
      [...xy.slice(0, 4), row('Z', 1, 200), row('Z', 2, 1200)],
      [...xy.slice(4, 8), row('Z', 9, 2200)],
      xy.slice(8, 12),
      xy.slice(12, 16),
      xy.slice(16, 20),
    ].map(inTimeOrder);
    const rest = inTimeOrder([...xy.slice(20), row('Z', 3, 13_200)]);
    const all = await Engine.open();
    await all.execute(TICKER);
    await all.execute(view);
    for (const step of [...steps, rest]) await all.insert('ticker', step);
    await all.endOfStream('ticker');
    const expected = table(await all.query('SELECT * FROM v'));
    await all.close();
    expect(expected).toEqual([
      ['X', 1, 3, 3],
      ['X', 1, 3, 5],
      ['Y', 1, 3, 5],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-mr-'));
    try {
      const path = join(dir, 'inc.duckdb');
      let e = await Engine.open({ path });
      await e.execute(TICKER);
      await e.execute(view);
      for (const step of steps) {
        await e.insert('ticker', step);
        await e.checkpoint();
      }
      await e.close();
      e = await Engine.open({ path });
      await e.insert('ticker', rest);
      await e.endOfStream('ticker');
      expect(table(await e.query('SELECT * FROM v'))).toEqual(expected);
      await e.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('state', () => {
  const view = (within: string) => `CREATE MATERIALIZED VIEW v AS SELECT * FROM ticker MATCH_RECOGNIZE (
    PARTITION BY symbol ORDER BY rowtime
    MEASURES COUNT(*) AS n
    PATTERN (A B* C) ${within}
    DEFINE C AS price < 0)`;

  async function stateAfter(within: string, rows: number): Promise<number> {
    const e = await Engine.open();
    await e.execute(TICKER);
    await e.execute(view(within));
    for (let i = 0; i < rows; i += 100) await e.insert('ticker', tick(Array.from({ length: 100 }, (_, j) => (i + j) % 7), i));
    const size = e.metrics().stateSize;
    await e.close();
    return size;
  }

  it('WITHIN frees a match that can no longer complete once the watermark passes its bound', async () => {
    // No row is ever a C: without WITHIN the attempt from the first row holds every row.
    expect(await stateAfter('', 1000)).toBeGreaterThanOrEqual(999);
    expect(await stateAfter(`WITHIN INTERVAL '10' SECOND`, 1000)).toBeLessThanOrEqual(12);
  });

  it('frees the rows of finished attempts, keeping only what PREV looks back at', async () => {
    const e = await Engine.open();
    await e.execute(TICKER);
    await e.execute(`CREATE MATERIALIZED VIEW v AS SELECT * FROM ticker MATCH_RECOGNIZE (
      PARTITION BY symbol ORDER BY rowtime MEASURES LAST(price) AS p
      PATTERN (A B) DEFINE B AS B.price > PREV(B.price, 3))`);
    for (let i = 0; i < 3000; i += 500) await e.insert('ticker', tick(Array.from({ length: 500 }, (_, j) => (i + j) % 5), i));
    expect(e.metrics().stateSize).toBeLessThan(2100);
    expect((await e.query('SELECT count(*) AS n FROM v'))[0]!.n).toBeGreaterThan(100);
    await e.close();
  });

  it('records rows behind the watermark as late and leaves them out', async () => {
    const e = await Engine.open();
    await e.execute(TICKER);
    await e.execute(`CREATE MATERIALIZED VIEW v AS SELECT * FROM ticker MATCH_RECOGNIZE (
      PARTITION BY symbol ORDER BY rowtime MEASURES FIRST(price) AS a, LAST(price) AS b
      PATTERN (A B) DEFINE A AS price = 1, B AS price = 2)`);
    await e.insert('ticker', tick([1], 10));
    await e.insert('ticker', tick([2], 5)); // behind the watermark (10 s): late
    await e.insert('ticker', tick([2], 11));
    await e.endOfStream('ticker');
    expect(table(await e.query('SELECT * FROM v'))).toEqual([['ACME', 1, 2]]);
    const late = await e.query(`SELECT "view", event_time FROM sluice_late_events`);
    expect(late).toEqual([{ view: 'v', event_time: new Date(T0 + 5000) }]);
    await e.close();
  });
});

describe('arrival order', () => {
  it('gives the same matches for rows out of order within the watermark delay', async () => {
    const run = async (order: readonly number[], batch: number) => {
      const e = await Engine.open();
      await e.execute(TICKER.replace(`INTERVAL '0' SECOND`, `INTERVAL '5' SECOND`));
      await e.execute(AVG_VIEW);
      const rows = tick(PRICES);
      for (let i = 0; i < order.length; i += batch) await e.insert('ticker', order.slice(i, i + batch).map((k) => rows[k]!));
      await e.endOfStream('ticker');
      const out = table(await e.query('SELECT * FROM v'));
      await e.close();
      return out;
    };
    const inOrder = await run(PRICES.map((_, i) => i), PRICES.length);
    // Each row swapped with a neighbour up to 3 places away.
    const shuffled = [2, 0, 1, 5, 3, 4, 8, 6, 7, 11, 9, 10, 14, 12, 13, 15];
    expect(await run(shuffled, 1)).toEqual(inOrder);
    expect(await run(shuffled, 4)).toEqual(inOrder);
    expect(inOrder.length).toBe(3);
  });
});


describe('MATCH_ROWTIME()', () => {
  it('is an event-time column: matches can be windowed, and the watermark waits for open matches', async () => {
    const e = await Engine.open();
    try {
      await e.execute(TICKER);
      // A=1 then C=3 is a match at 00:01, but greedy B* keeps looking (B takes the 4s) until the 9
      // at 01:41 ends it: the match comes out long after its time.
      await e.execute(`CREATE VIEW matches AS SELECT * FROM ticker MATCH_RECOGNIZE (
        PARTITION BY symbol ORDER BY rowtime
        MEASURES MATCH_ROWTIME() AS rt, COUNT(B.*) AS nb
        PATTERN (A B* C) DEFINE A AS price = 1, B AS price < 5, C AS price = 3)`);
      await e.execute(`CREATE MATERIALIZED VIEW per_minute AS
        SELECT window_start, COUNT(*) AS n, MAX(rt) AS last_rt FROM TUMBLE(matches, rt, INTERVAL '1' MINUTE)
        GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
      const [plan] = await e.execute(`EXPLAIN SELECT * FROM matches`);
      expect(JSON.stringify(plan)).toContain('(symbol VARCHAR, rt TIMESTAMP*, nb BIGINT) append-only');
      const prices = [1, 3, ...Array.from({ length: 99 }, () => 4), 9, 1, 3, 9];
      for (let i = 0; i < prices.length; i += 10) await e.insert('ticker', tick(prices.slice(i, i + 10), i));
      await e.endOfStream('ticker');
      expect(await e.query('SELECT window_start, n, last_rt FROM per_minute ORDER BY window_start')).toEqual([
        { window_start: new Date(T0), n: 1, last_rt: new Date(T0 + 1000) },
        { window_start: new Date(T0 + 60_000), n: 1, last_rt: new Date(T0 + 103_000) },
      ]);
      expect(await e.query('SELECT count(*) AS n FROM sluice_late_events')).toEqual([{ n: 0 }]);
    } finally {
      await e.close();
    }
  });
});
