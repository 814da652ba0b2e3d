/**
 * The postgres sink against the machine's real PostgreSQL (127.0.0.1:5432, database `test`):
 * the table it keeps must equal the view, and after kill -9 at random moments and a resume it
 * must equal the table of a run that never crashed. A missing server fails these tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const URL = process.env['SLUICE_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLI = resolve('dist/src/cli/main.js');
const prefix = `t${process.pid}_`;
let client: pg.Client;
const dirs: string[] = [];

beforeAll(async () => {
  client = new pg.Client({ connectionString: URL });
  await client.connect();
});
afterAll(async () => {
  const r = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE tablename LIKE '${prefix}%'`);
  for (const t of r.rows) await client.query(`DROP TABLE "${t.tablename}"`);
  await client.query(`DELETE FROM sluice_sink_positions WHERE sink LIKE '${prefix}%'`).catch(() => undefined);
  await client.end();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** Rows of a table (or any SELECT) in a stable order, values as JSON-comparable text. */
async function pgRows(sql: string): Promise<string[]> {
  const r = await client.query(sql);
  return r.rows.map((row) => JSON.stringify(Object.values(row).map((v) => (v instanceof Date ? v.toISOString() : v === null ? null : String(v))))).sort();
}

function asText(rows: readonly Record<string, unknown>[]): string[] {
  return rows.map((row) => JSON.stringify(Object.values(row).map((v) => (v instanceof Date ? v.toISOString() : v === null ? null : String(v))))).sort();
}

describe('postgres sink', () => {
  it('keeps a table equal to a GROUP BY view through updates, deletes and a NULL group', async () => {
    const table = `${prefix}totals`;
    const engine = await Engine.open();
    try {
      await engine.execute(`
        CREATE SOURCE o (k BIGINT, v DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts);
        CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(v) AS s, COUNT(*) AS n, MAX(ts) AS last_ts FROM o GROUP BY k HAVING SUM(v) < 150;
        CREATE SINK ${prefix}s1 FROM totals WITH (connector = 'postgres', url = '${URL}', table = '${table}');`);
      let seed = 7;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      for (let b = 0; b < 20; b++) {
        const rows = Array.from({ length: 50 }, (_, i) => ({
          k: rnd() < 0.05 ? null : Math.floor(rnd() * 30),
          v: Math.floor(rnd() * 10),
          ts: Date.UTC(2024, 0, 1) + b * 1000 + i,
        }));
        await engine.insert('o', rows);
        if (b % 7 === 3) await engine.checkpoint();
      }
      await engine.checkpoint();
      const view = asText(await engine.query('SELECT k, s, n, last_ts FROM totals'));
      // The HAVING makes groups disappear (-D): the table must lose them too.
      expect(view.length).toBeGreaterThan(3);
      expect(view.length).toBeLessThan(31);
      expect(await pgRows(`SELECT k, s, n, last_ts FROM "${table}"`)).toEqual(view);
      const cols = await client.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
        [table],
      );
      expect(cols.rows).toEqual([
        { column_name: 'k', data_type: 'bigint' },
        { column_name: 's', data_type: 'double precision' },
        { column_name: 'n', data_type: 'bigint' },
        { column_name: 'last_ts', data_type: 'timestamp with time zone' },
      ]);
      const pos = await client.query(`SELECT position FROM sluice_sink_positions WHERE sink = $1`, [`${prefix}s1`]);
      expect(Number(pos.rows[0].position)).toBeGreaterThan(view.length);
    } finally {
      await engine.close();
    }
  });

  it('appends an append-only view without a key, and refuses a changelog without one', async () => {
    const table = `${prefix}windows`;
    const engine = await Engine.open();
    try {
      await engine.execute(`
        CREATE SOURCE o (k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts);
        CREATE MATERIALIZED VIEW w AS SELECT window_start, k, COUNT(*) AS n FROM TUMBLE(o, ts, INTERVAL '10' SECOND)
          GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE;
        CREATE SINK ${prefix}s2 FROM w WITH (connector = 'postgres', url = '${URL}', table = '${table}');`);
      await engine.insert('o', Array.from({ length: 100 }, (_, i) => ({ k: i % 3, ts: Date.UTC(2024, 0, 1) + i * 500 })));
      await engine.endOfStream('o');
      await engine.checkpoint();
      const view = asText(await engine.query('SELECT * FROM w'));
      expect(view.length).toBe(15);
      expect(await pgRows(`SELECT * FROM "${table}"`)).toEqual(view);
      await engine.execute(`CREATE MATERIALIZED VIEW j AS SELECT a.k, a.ts FROM o a LEFT JOIN o b ON a.k = b.k AND b.ts > a.ts + INTERVAL '1' DAY;`);
      await expect(
        engine.execute(`CREATE SINK ${prefix}s3 FROM j WITH (connector = 'postgres', url = '${URL}', table = '${prefix}bad');`),
      ).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining('without a key') });
    } finally {
      await engine.close();
    }
  });

  it('reports an unreachable server as a CONNECTOR error naming the sink', async () => {
    const engine = await Engine.open();
    try {
      await engine.execute(`CREATE SOURCE o (k BIGINT); CREATE MATERIALIZED VIEW c AS SELECT k, COUNT(*) AS n FROM o GROUP BY k;`);
      await expect(
        engine.execute(`CREATE SINK ${prefix}s4 FROM c WITH (connector = 'postgres', url = 'postgres://postgres@127.0.0.1:1/test');`),
      ).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining(`sink '${prefix}s4'`) });
      await expect(
        engine.execute(`CREATE SINK ${prefix}s5 FROM c WITH (connector = 'postgres', url = '${URL}', colour = 'red');`),
      ).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("unknown option 'colour'") });
    } finally {
      await engine.close();
    }
  });
});

describe('postgres sink across kill -9', () => {
  const built = existsSync(CLI);

  function job(dir: string, sink: string, table: string): string {
    const sql = `SET checkpoint_interval = '50 milliseconds';
CREATE SOURCE IF NOT EXISTS events (k BIGINT, v DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
  WITH (connector = 'file', path = 'events.jsonl', format = 'jsonl');
CREATE MATERIALIZED VIEW IF NOT EXISTS per_key AS SELECT k, COUNT(*) AS n, SUM(v) AS total FROM events GROUP BY k;
CREATE SINK IF NOT EXISTS ${sink} FROM per_key WITH (connector = 'postgres', url = '${URL}', table = '${table}');
CREATE MATERIALIZED VIEW IF NOT EXISTS zeros AS SELECT k, ts FROM events WHERE v = 0;
CREATE SINK IF NOT EXISTS ${sink}_z FROM zeros WITH (connector = 'postgres', url = '${URL}', table = '${table}_z');
`;
    const file = join(dir, `${sink}.sql`);
    writeFileSync(file, sql);
    return file;
  }

  it.runIf(built)('ends with the table of a run that never crashed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-crash-'));
    dirs.push(dir);
    const lines: string[] = [];
    let t = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 400_000; i++) {
      t += i % 7;
      lines.push(JSON.stringify({ k: (i * 7919) % 5003, v: i % 101, ts: new Date(t - (i % 13) * 100).toISOString() }));
    }
    writeFileSync(join(dir, 'events.jsonl'), lines.join('\n') + '\n');

    const clean = spawnSync(process.execPath, [CLI, 'run', job(dir, `${prefix}clean`, `${prefix}clean`)], { cwd: dir, encoding: 'utf8' });
    expect(clean.stderr).toBe('');
    expect(clean.status).toBe(0);
    const expected = await pgRows(`SELECT k, n, total FROM "${prefix}clean"`);
    expect(expected.length).toBe(5003);
    // Append-only, no key: plain inserts, so a replayed change that were not skipped would double.
    const expectedZeros = await pgRows(`SELECT k, ts FROM "${prefix}clean_z"`);
    expect(expectedZeros.length).toBe(3961);

    const file = job(dir, `${prefix}crash`, `${prefix}crash`);
    const args = [CLI, 'run', file, '--db', join(dir, 'state.duckdb')];
    let kills = 0;
    for (const ms of [900, 1300, 1700, 2100, 2600]) {
      const killed = await new Promise<boolean>((done) => {
        const child = spawn(process.execPath, args, { cwd: dir, stdio: 'ignore' });
        const timer = setTimeout(() => child.kill('SIGKILL'), ms);
        child.on('exit', (_c, signal) => {
          clearTimeout(timer);
          done(signal === 'SIGKILL');
        });
      });
      if (killed) kills++;
    }
    const last = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
    expect(last.stderr).toBe('');
    expect(last.status).toBe(0);
    expect(kills).toBeGreaterThan(0);
    expect(await pgRows(`SELECT k, n, total FROM "${prefix}crash"`)).toEqual(expected);
    expect(await pgRows(`SELECT k, ts FROM "${prefix}crash_z"`)).toEqual(expectedZeros);
  }, 180_000);
});
