/**
 * An in-memory engine writes the changes its views hold to their tables once they pass
 * view_flush_bytes, without a pull query asking (each such write is a checkpoint row in
 * sluice_checkpoints); the contents come out the same either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-view-flush-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function run(flushBytes: number | null, path?: string): Promise<{ checkpoints: number; rows: unknown[] }> {
  engine = await Engine.open(path === undefined ? {} : { path });
  // (A file's timed checkpoints never fall due here: only the budget makes one.)
  await engine.execute(`SET checkpoint_interval = '1 hour'`);
  if (flushBytes !== null) await engine.execute(`SET view_flush_bytes = ${flushBytes}`);
  await engine.execute(`CREATE SOURCE ev (k VARCHAR, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`);
  await engine.execute('CREATE MATERIALIZED VIEW copy AS SELECT k, x FROM ev WHERE x % 2 = 0');
  await engine.execute('CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(x) AS s FROM ev GROUP BY k');
  const before = await engine.query('SELECT count(*)::INTEGER AS n FROM sluice_checkpoints');
  for (let i = 0; i < 20; i++) {
    await engine.insert('ev', Array.from({ length: 100 }, (_, j) => ({ k: `k${(i * 100 + j) % 7}`, x: i * 100 + j, ts: new Date(i * 1000 + j) })));
  }
  const after = await engine.query('SELECT count(*)::INTEGER AS n FROM sluice_checkpoints');
  const rows = [await engine.query('SELECT * FROM totals ORDER BY k'), await engine.query('SELECT count(*)::INTEGER AS n, sum(x)::BIGINT AS s FROM copy')];
  await engine.close();
  engine = undefined;
  // Reading sluice_checkpoints is itself a checkpoint: the difference is what the inserts wrote.
  return { checkpoints: (after[0]!['n'] as number) - (before[0]!['n'] as number) - 1, rows };
}

it('writes held view changes past view_flush_bytes without a pull query, to the same contents', async () => {
  const held = await run(null);
  const flushed = await run(1);
  expect(held.checkpoints).toBe(0);
  // A budget of one byte: a write after each of the 20 inserts.
  expect(flushed.checkpoints).toBe(20);
  expect(flushed.rows).toEqual(held.rows);
  expect(held.rows[1]).toEqual([{ n: 1000, s: 999000 }]);
});

it('checkpoints a file early when its views hold more than view_flush_bytes', async () => {
  const held = await run(null, join(dir, 'held.duckdb'));
  const flushed = await run(1, join(dir, 'flushed.duckdb'));
  expect(held.checkpoints).toBe(0);
  expect(flushed.checkpoints).toBe(20);
  expect(flushed.rows).toEqual(held.rows);
});

it('takes a positive whole number of bytes for view_flush_bytes and refuses anything else', async () => {
  engine = await Engine.open();
  await engine.execute('SET view_flush_bytes = 1000');
  const [shown] = await engine.execute('SHOW view_flush_bytes');
  expect(JSON.stringify(shown!.rows)).toContain('1000');
  await expect(engine.execute('SET view_flush_bytes = 0')).rejects.toMatchObject({ code: 'BIND' });
  await expect(engine.execute("SET view_flush_bytes = '64 MB'")).rejects.toMatchObject({ code: 'BIND' });
});
