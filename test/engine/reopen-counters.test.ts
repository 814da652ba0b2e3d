/**
 * Counters survive a reopen (issue 11, item 10): `metrics()` counts late events and dead
 * letters over the database's life, as its system tables hold them; `sluice_checkpoints`
 * ids go on increasing after a reopen; a session window's late record names the session's
 * bounds; `INTERVAL '5'` without a unit is a PARSE error everywhere, never DuckDB's 5 seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-counters-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
const SOURCE = `CREATE SOURCE IF NOT EXISTS s (k VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`;
const VIEW = `CREATE MATERIALIZED VIEW IF NOT EXISTS w AS SELECT window_start, k, COUNT(*) AS n
  FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k`;

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function tableCounts(e: Engine): Promise<{ late: number; dead: number }> {
  const [r] = await e.query(`SELECT (SELECT count(*) FROM sluice_late_events)::INT AS late, (SELECT count(*) FROM sluice_dead_letters)::INT AS dead`);
  return { late: r!['late'] as number, dead: r!['dead'] as number };
}

describe('metrics after a reopen', () => {
  it('late and dead counts equal the system tables', async () => {
    const path = join(tmp(), 'db.duckdb');
    engine = await Engine.open({ path });
    await engine.execute(SOURCE);
    await engine.execute(VIEW);
    await engine.execute(`SET checkpoint_interval = '1 hour'`);
    // Two late rows (behind the window [0, 10) once 30 has come), one dead letter.
    await engine.insert('s', [{ k: 'a', ts: t(1) }, { k: 'a', ts: t(30) }, { k: 'a', ts: t(2) }, { k: 'b', ts: t(3) }, { k: 'x' }]);
    expect(engine.metrics()).toMatchObject({ lateEvents: 2, deadLetters: 1 });
    await engine.close();

    engine = await Engine.open({ path });
    expect(await tableCounts(engine)).toEqual({ late: 2, dead: 1 });
    expect(engine.metrics()).toMatchObject({ lateEvents: 2, deadLetters: 1 });
    // And they go on counting from there.
    await engine.insert('s', [{ k: 'c', ts: t(4) }, { k: 'y', ts: null }]);
    expect(engine.metrics()).toMatchObject({ lateEvents: 3, deadLetters: 2 });
    expect(await tableCounts(engine)).toEqual({ late: 3, dead: 2 });
    await engine.close();

    engine = await Engine.open({ path });
    expect(engine.metrics()).toMatchObject({ lateEvents: 3, deadLetters: 2 });
  });
});

describe('sluice_checkpoints', () => {
  it('ids keep increasing across a reopen', async () => {
    const path = join(tmp(), 'db.duckdb');
    engine = await Engine.open({ path });
    await engine.execute(SOURCE);
    await engine.checkpoint();
    await engine.close();
    engine = await Engine.open({ path });
    await engine.checkpoint();
    await engine.close();
    engine = await Engine.open({ path });
    const ids = (await engine.query('SELECT id FROM sluice_checkpoints ORDER BY written_at, id')).map((r) => r['id'] as number);
    expect(ids.length).toBeGreaterThan(4);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  });
});

describe('late events of session windows', () => {
  it("record the row's own session window as window_start and window_end, and nothing internal", async () => {
    engine = await Engine.open();
    await engine.execute(SOURCE);
    await engine.execute(`CREATE MATERIALIZED VIEW ss AS SELECT window_start, window_end, k, COUNT(*) AS n
      FROM SESSION(s PARTITION BY k, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end, k`);
    await engine.execute(`CREATE MATERIALIZED VIEW sg AS SELECT k, COUNT(*) AS n FROM s GROUP BY k, SESSION(ts, INTERVAL '3' SECOND)`);
    // Sessions [10, 13) and [20, 25) of 'a'; the watermark reaches 21, closing [10, 13).
    await engine.insert('s', [{ k: 'a', ts: t(10) }, { k: 'a', ts: t(20) }, { k: 'a', ts: t(22) }]);
    // 5 reaches no session and its own [5, 8) has closed; 11 falls in the closed [10, 13).
    await engine.insert('s', [{ k: 'a', ts: t(5) }, { k: 'a', ts: t(11) }]);
    const late = await engine.query(`SELECT "view", "offset", "row" FROM sluice_late_events ORDER BY "view", "offset"`);
    const iso = (s: number) => t(s).toISOString();
    const record = (ts: number) => ({ k: 'a', ts: iso(ts), window_start: iso(ts), window_end: iso(ts + 3) });
    expect(late.map((r) => [r['view'], r['offset'], JSON.parse(r['row'] as string)])).toEqual([
      ['sg', 3, record(5)],
      ['sg', 4, record(11)],
      ['ss', 3, record(5)],
      ['ss', 4, record(11)],
    ]);
  });

  it('also a row that would merge into a closed session, whatever the batches', async () => {
    for (const batches of [[[10, 12, 20, 14]], [[10, 12, 20], [14]], [[10], [12], [20], [14]]]) {
      engine = await Engine.open();
      await engine.execute(SOURCE);
      await engine.execute(`CREATE MATERIALIZED VIEW ss AS SELECT window_start, window_end, COUNT(*) AS n
        FROM SESSION(s, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
      // After 20 the watermark is 19: the session [10, 15) has closed, so 14, which would merge into it, is late.
      for (const b of batches) await engine.insert('s', b.map((s) => ({ k: 'a', ts: t(s) })));
      const late = await engine.query(`SELECT "offset", "row" FROM sluice_late_events`);
      // The view reads only ts, so the row is ts alone.
      expect(late.map((r) => [r['offset'], JSON.parse(r['row'] as string)])).toEqual([
        [3, { ts: t(14).toISOString(), window_start: t(14).toISOString(), window_end: t(17).toISOString() }],
      ]);
      await engine.close();
      engine = undefined;
    }
  });
});

describe("INTERVAL '5' without a unit", () => {
  it('is a PARSE error with line and column through execute and query, not DuckDB seconds', async () => {
    engine = await Engine.open();
    await engine.execute(SOURCE);
    await engine.execute(VIEW);
    await expect(engine.execute(`SELECT 1 AS one;\nSELECT INTERVAL '5' AS x`)).rejects.toMatchObject({ code: 'PARSE', line: 2, column: 8 });
    await expect(engine.execute(`SELECT * FROM w WHERE window_start > now() - INTERVAL '5'`)).rejects.toMatchObject({
      code: 'PARSE',
      line: 1,
      column: 46,
      message: expect.stringContaining("INTERVAL '5' needs a unit"),
    });
    await expect(engine.query(`SELECT INTERVAL '5' AS x`)).rejects.toMatchObject({ code: 'PARSE', line: 1, column: 8 });
    // DuckDB's own syntax still reaches DuckDB.
    expect(await engine.query(`SELECT count(*) OVER () AS x FROM w QUALIFY x > 0`)).toEqual([]);
  });
});
