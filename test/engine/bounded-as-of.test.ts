/**
 * Bounded time travel (SPEC 2.7): `v AS OF …` on a file-backed engine is answered from the
 * nearest snapshot retained at a checkpoint plus a replay of the log after it. Each result
 * equals DuckDB's over the events up to the point; a replay that read the log before the
 * snapshot would not, because that part of the log is deleted from the file first. The number
 * of snapshots stays bounded, and retain_history refuses points before it (ARGUMENT, naming
 * the oldest point available).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { SluiceError } from '../../src/errors.js';
import { assertSameRows, normalize, Oracle, sourceSql, T0, type Ev } from './oracle.js';

const N = 2400;
/** 2400 events 50 ms apart over 5 keys, a little out of order (never late at 1 s delay). */
const EVENTS: Ev[] = Array.from({ length: N }, (_, i): Ev => ({
  k: ['a', 'b', 'c', 'd', 'e'][(i * 7) % 5]!,
  x: (i * 13) % 17 - 5,
  b: i,
  d: i / 4,
  v: `v${i % 3}`,
  ts: T0 + i * 50 - ((i * 31) % 7) * 100,
}));
const VIEWS = {
  totals: { sql: `SELECT k, SUM(x) AS s, COUNT(*) AS n FROM s GROUP BY k`, oracle: (w: string) => `SELECT k, SUM(x), COUNT(*) FROM t WHERE ${w} GROUP BY k` },
  per_sec: {
    sql: `SELECT window_start, k, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k`,
    // EMIT CHANGES: open windows are in the view too, with their rows so far.
    oracle: (w: string) => `SELECT ts - ts % 10000, k, COUNT(*) FROM t WHERE ${w} GROUP BY ts - ts % 10000, k`,
  },
};
const upTo = (n: number) => `off <= ${n}`;
const beforeTime = (ms: number) => `off < (SELECT coalesce(min(off), 1e18) FROM t WHERE ts > ${ms})`;
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

let dir: string;
let oracle: Oracle;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-asof-'));
  oracle = await Oracle.create();
  await oracle.load(EVENTS);
});
afterAll(() => {
  oracle.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rowsOf(engine: Engine, sql: string): Promise<unknown[][]> {
  return (await engine.query(sql)).map((r) => Object.values(r).map(normalize));
}

describe('bounded AS OF', () => {
  it('answers from retained snapshots without reading the log before them', async () => {
    const path = join(dir, 'a.duckdb');
    let engine = await Engine.open({ path });
    await engine.execute(`SET checkpoint_interval = '1 hour'`);
    await engine.execute(sourceSql(1000));
    for (const [name, v] of Object.entries(VIEWS)) await engine.execute(`CREATE MATERIALIZED VIEW ${name} AS ${v.sql}`);
    for (let i = 0; i < N; i += 100) {
      await engine.insert('s', EVENTS.slice(i, i + 100).map((e) => ({ ...e, ts: new Date(e.ts) })));
      if ((i / 100) % 2 === 1) await engine.checkpoint();
    }
    const snapshots = await rowsOf(engine, `SELECT count(*) FROM sluice_history WHERE view = 'totals'`);
    await engine.close();
    expect(snapshots[0]![0]).toBeGreaterThan(3);
    expect(snapshots[0]![0]).toBeLessThanOrEqual(16);

    // The first fifth of the log goes: only a replay from a later snapshot can still be right.
    const db = await DuckDBInstance.create(path);
    const conn = await db.connect();
    await conn.run(`DELETE FROM sluice_log_s WHERE sluice_offset < ${N / 5}`);
    conn.closeSync();
    db.closeSync();

    engine = await Engine.open({ path });
    try {
      for (const [name, v] of Object.entries(VIEWS)) {
        for (const n of [N - 1, N - 150, Math.floor(N * 0.6)]) {
          assertSameRows(await rowsOf(engine, `SELECT * FROM ${name} AS OF OFFSET ${n}`), await oracle.rows(v.oracle(upTo(n))), `${name} AS OF OFFSET ${n}`);
        }
        const t = EVENTS[N - 300]!.ts + 17;
        assertSameRows(await rowsOf(engine, `SELECT * FROM ${name} AS OF TIMESTAMP '${stamp(t)}'`), await oracle.rows(v.oracle(beforeTime(t))), `${name} AS OF TIMESTAMP`);
      }
    } finally {
      await engine.close();
    }
  }, 30_000);

  it('refuses a point before retain_history, naming the oldest point available', async () => {
    const engine = await Engine.open({ path: join(dir, 'b.duckdb') });
    try {
      await engine.execute(sourceSql(1000));
      await engine.execute(`CREATE MATERIALIZED VIEW recent WITH (retain_history = '30 seconds') AS ${VIEWS.totals.sql}`);
      for (let i = 0; i < N; i += 200) {
        await engine.insert('s', EVENTS.slice(i, i + 200).map((e) => ({ ...e, ts: new Date(e.ts) })));
        await engine.checkpoint();
      }
      const newest = Math.max(...EVENTS.map((e) => e.ts));
      const oldest = newest - 30_000;
      const err = async (sql: string) => engine.execute(sql).then(() => null, (e: unknown) => e as SluiceError);
      const e1 = await err(`SELECT * FROM recent AS OF TIMESTAMP '${stamp(T0 + 5_000)}'`);
      expect(e1?.code).toBe('ARGUMENT');
      expect(e1?.message).toContain(`before the oldest point available, '${new Date(oldest).toISOString()}'`);
      const e2 = await err(`SELECT * FROM recent AS OF OFFSET 10`);
      expect(e2?.code).toBe('ARGUMENT');
      expect(e2?.message).toMatch(/AS OF OFFSET 10 is before the oldest point available, offset \d+/);
      // Inside the range it answers, from what the snapshots retained.
      const t = newest - 10_000;
      assertSameRows(await rowsOf(engine, `SELECT * FROM recent AS OF TIMESTAMP '${stamp(t)}'`), await oracle.rows(VIEWS.totals.oracle(beforeTime(t))), 'recent');
      // Snapshots older than the range are dropped, all but the newest of them.
      const times = await rowsOf(engine, `SELECT inputs FROM sluice_history WHERE view = 'recent'`);
      const old = times.filter(([i]) => (JSON.parse(i as string) as { maxTime: number }[])[0]!.maxTime <= oldest);
      expect(old.length).toBe(1);
      const bad = await err(`CREATE MATERIALIZED VIEW r2 WITH (retain_history = 'forever') AS ${VIEWS.totals.sql}`);
      expect(bad?.code).toBe('TYPE');
    } finally {
      await engine.close();
    }
  }, 30_000);
});
