/**
 * Resume (README, Durability): a second `sluice run job.sql --db state.duckdb` after lines
 * were appended to a bounded jsonl/csv file reads exactly the new lines — views equal
 * DuckDB over all lines and the sink holds every event once. A file truncated or replaced
 * since the stored position is a CONNECTOR error naming source and file, or is read again
 * from its start with `on_truncate = 'reread'`. parquet files resume at the stored row
 * number; one with fewer rows counts as truncated.
 *
 * Runs the built CLI as child processes (`npm run build`); skipped when dist/ is missing.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = resolve('dist/src/cli/main.js');
const built = existsSync(CLI);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sluice-resume-'));
  dirs.push(d);
  return d;
}

function sluice(dir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const K = ['a', 'b', 'c', 'd'];

function jsonl(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += JSON.stringify({ k: K[i % 4], n: i, ts: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() }) + '\n';
  return s;
}

function csvRows(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${K[i % 4]},${i},${new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString()}\n`;
  return s;
}

function job(file: string, extra = ''): string {
  return `CREATE SOURCE IF NOT EXISTS ev (k VARCHAR, n BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'file', path = '${file}'${extra});
CREATE MATERIALIZED VIEW IF NOT EXISTS per_k AS SELECT k, COUNT(*) AS c, SUM(n) AS s, MAX(ts) AS last FROM ev GROUP BY k;
CREATE SINK IF NOT EXISTS out FROM ev WITH (connector = 'file', path = 'out.jsonl');
`;
}

const CHECK = `SELECT k, c, s, last FROM per_k ORDER BY k;`;

/** The view's query as DuckDB answers it over the whole file. */
async function duckdb(sql: string): Promise<unknown[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(sql);
    return r.getRowObjectsJS().map((row) => ({
      k: row['k'],
      c: Number(row['c']),
      s: Number(row['s']),
      last: (row['last'] as Date).toISOString(),
    }));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

function viewRows(dir: string): unknown[] {
  writeFileSync(join(dir, 'check.sql'), CHECK);
  const r = sluice(dir, ['run', 'check.sql', '--db', 'state.duckdb', '--format', 'jsonl']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
}

function sinkNs(dir: string): number[] {
  return readFileSync(join(dir, 'out.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { n: number }).n);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe.skipIf(!built)('resume: a second run reads exactly the lines appended since', () => {
  for (const format of ['jsonl', 'csv'] as const) {
    it(`${format}: views equal DuckDB over all lines, the sink holds each event once`, async () => {
      const dir = temp();
      const file = `ev.${format}`;
      const path = join(dir, file);
      writeFileSync(join(dir, 'job.sql'), job(file));
      writeFileSync(path, format === 'jsonl' ? jsonl(0, 30) : 'k,n,ts\n' + csvRows(0, 30));
      const first = sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']);
      expect(first.status, first.stderr).toBe(0);
      appendFileSync(path, format === 'jsonl' ? jsonl(30, 47) : csvRows(30, 47));
      const second = sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']);
      expect(second.status, second.stderr).toBe(0);
      // A third run with nothing new changes nothing.
      const third = sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']);
      expect(third.status, third.stderr).toBe(0);

      const reader = format === 'jsonl' ? `read_json('${path}')` : `read_csv('${path}', header = true)`;
      const want = await duckdb(`SELECT k, COUNT(*) AS c, SUM(n) AS s, MAX(ts) AS last FROM ${reader} GROUP BY k ORDER BY k`);
      expect(viewRows(dir)).toEqual(want);
      expect(sinkNs(dir)).toEqual(range(0, 47));
    }, 120_000);
  }

  it('a truncated file is a CONNECTOR error naming the source and the file', () => {
    const dir = temp();
    writeFileSync(join(dir, 'job.sql'), job('ev.jsonl'));
    writeFileSync(join(dir, 'ev.jsonl'), jsonl(0, 20));
    expect(sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']).status).toBe(0);
    writeFileSync(join(dir, 'ev.jsonl'), jsonl(100, 103));
    const r = sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Connector Error');
    expect(r.stderr).toContain(`source 'ev'`);
    expect(r.stderr).toContain(join(dir, 'ev.jsonl'));
    expect(r.stderr).toContain('truncated');
  }, 60_000);

  it('a replaced file (longer, other content) is a CONNECTOR error too', () => {
    const dir = temp();
    writeFileSync(join(dir, 'job.sql'), job('ev.jsonl'));
    writeFileSync(join(dir, 'ev.jsonl'), jsonl(0, 20));
    expect(sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']).status).toBe(0);
    writeFileSync(join(dir, 'ev.jsonl'), jsonl(1000, 1040));
    const r = sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Connector Error');
    expect(r.stderr).toContain(`source 'ev'`);
    expect(r.stderr).toContain('replaced');
    // Nothing of the new file was taken.
    expect(sinkNs(dir)).toEqual(range(0, 20));
  }, 60_000);

  it("with on_truncate = 'reread' a truncated file is read again from its start", () => {
    const dir = temp();
    writeFileSync(join(dir, 'job.sql'), job('ev.csv', `, on_truncate = 'reread'`));
    writeFileSync(join(dir, 'ev.csv'), 'k,n,ts\n' + csvRows(0, 20));
    const first = sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']);
    expect(first.status, first.stderr).toBe(0);
    writeFileSync(join(dir, 'ev.csv'), 'k,n,ts\n' + csvRows(20, 25));
    const second = sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']);
    expect(second.status, second.stderr).toBe(0);
    // Both versions of the file count once each.
    expect(sinkNs(dir)).toEqual(range(0, 25));
  }, 60_000);

  it('parquet resumes at the stored row number; a file with fewer rows is an error', async () => {
    const dir = temp();
    const path = join(dir, 'ev.parquet');
    const write = async (rows: number) => {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      await conn.run(
        `COPY (SELECT ['a','b','c','d'][i % 4 + 1] AS k, i AS n, TIMESTAMP '2024-01-01' + i * INTERVAL 1 SECOND AS ts FROM range(${rows}) t(i) ORDER BY i)
         TO '${path}' (FORMAT parquet)`,
      );
      conn.closeSync();
      db.closeSync();
    };
    writeFileSync(join(dir, 'job.sql'), job('ev.parquet'));
    await write(20);
    expect(sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']).status).toBe(0);
    await write(32);
    const second = sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']);
    expect(second.status, second.stderr).toBe(0);
    expect(sinkNs(dir)).toEqual(range(0, 32));
    await write(5);
    const third = sluice(dir, ['run', 'job.sql', '--db', 'state.duckdb']);
    expect(third.status).toBe(1);
    expect(third.stderr).toContain(`source 'ev'`);
    expect(third.stderr).toContain('fewer than the 32 read before');
  }, 120_000);
});
