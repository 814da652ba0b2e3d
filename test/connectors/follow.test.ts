/**
 * `follow = true` (SPEC 5, 8): a followed file is read from its start and then tailed
 * whether or not a live query runs — through the API (views and in-memory file sinks stay
 * current with nobody asking) and under `sluice run` (changes printed as they happen, until
 * SIGTERM/SIGINT, then a final checkpoint and exit 0, and a later `--db` run resumes without
 * doubling). A followed file that is truncated is a CONNECTOR error, or with
 * `on_truncate = 'reread'` is read again from its start.
 *
 * The CLI cases run the built CLI (`npm run build`); they are skipped when dist/ is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type SluiceError } from '../../src/index.js';

const CLI = resolve('dist/src/cli/main.js');
const built = existsSync(CLI);

const dirs: string[] = [];
const children: ChildProcess[] = [];
let engine: Engine | undefined;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await engine?.close();
  engine = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sluice-follow-'));
  dirs.push(d);
  return d;
}

/** Polls `f` until it holds; fails after `ms`. */
async function until(f: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const line = (k: string, n: number) => JSON.stringify({ k, n }) + '\n';

function lines(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += line(['a', 'b', 'c'][i % 3]!, i);
  return s;
}

/** COUNT(*) and SUM(n) per k over events from..to-1, as the view must hold them. */
function expected(from: number, to: number): { k: string; c: number; s: number }[] {
  const m = new Map<string, { k: string; c: number; s: number }>();
  for (let i = from; i < to; i++) {
    const k = ['a', 'b', 'c'][i % 3]!;
    const g = m.get(k) ?? { k, c: 0, s: 0 };
    g.c++;
    g.s += i;
    m.set(k, g);
  }
  return [...m.values()].sort((a, b) => a.k.localeCompare(b.k));
}

describe('follow through the API, without any live query', () => {
  it('keeps a view over a followed file current as lines are appended', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'ev.jsonl'), lines(0, 10));
    engine = await Engine.open();
    await engine.execute(
      `CREATE SOURCE ev (k VARCHAR, n BIGINT) WITH (connector = 'file', path = 'ev.jsonl', follow = true);
       CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS c, SUM(n) AS s FROM ev GROUP BY k;`,
      { baseDir: dir },
    );
    const e = engine;
    const view = async () => e.query('SELECT k, c, s FROM per_k ORDER BY k');
    await until(async () => JSON.stringify(await view()) === JSON.stringify(expected(0, 10)), 'the first lines');
    appendFileSync(join(dir, 'ev.jsonl'), lines(10, 25));
    await until(async () => JSON.stringify(await view()) === JSON.stringify(expected(0, 25)), 'the appended lines');
  });

  it('writes an in-memory file sink as changes come, before close', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'ev.jsonl'), lines(0, 3));
    engine = await Engine.open();
    await engine.execute(
      `CREATE SOURCE ev (k VARCHAR, n BIGINT) WITH (connector = 'file', path = 'ev.jsonl', follow = true);
       CREATE SINK out FROM ev WITH (connector = 'file', path = 'out.jsonl');`,
      { baseDir: dir },
    );
    const sinkLines = () => (existsSync(join(dir, 'out.jsonl')) ? readFileSync(join(dir, 'out.jsonl'), 'utf8').split('\n').filter((l) => l !== '') : []);
    await until(() => sinkLines().length === 3, 'the sink lines of the first events');
    appendFileSync(join(dir, 'ev.jsonl'), lines(3, 5));
    await until(() => sinkLines().length === 5, 'the sink lines of the appended events');
    expect(sinkLines().map((l) => JSON.parse(l) as unknown)).toEqual([0, 1, 2, 3, 4].map((i) => ({ k: ['a', 'b', 'c'][i % 3], n: i })));
  });

  it('stops reading a followed file that was truncated, with a CONNECTOR error naming source and file', async () => {
    const dir = temp();
    const path = join(dir, 'ev.jsonl');
    writeFileSync(path, lines(0, 10));
    const errors: SluiceError[] = [];
    engine = await Engine.open({ onBackgroundError: (e) => errors.push(e) });
    await engine.execute(
      `CREATE SOURCE ev (k VARCHAR, n BIGINT) WITH (connector = 'file', path = 'ev.jsonl', follow = true);
       CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS c, SUM(n) AS s FROM ev GROUP BY k;`,
      { baseDir: dir },
    );
    const e = engine;
    await until(async () => JSON.stringify(await e.query('SELECT k, c, s FROM per_k ORDER BY k')) === JSON.stringify(expected(0, 10)), 'the first lines');
    writeFileSync(path, lines(100, 102));
    await until(() => errors.length > 0, 'the truncation error');
    expect(errors[0]!.code).toBe('CONNECTOR');
    expect(errors[0]!.message).toContain(`source 'ev'`);
    expect(errors[0]!.message).toContain(path);
    expect(engine.backgroundFailures().map((f) => f.source)).toEqual(['ev']);
    // Nothing of the new content was counted.
    expect(await engine.query('SELECT k, c, s FROM per_k ORDER BY k')).toEqual(expected(0, 10));
  });

  it("reads a truncated followed file again from its start with on_truncate = 'reread'", async () => {
    const dir = temp();
    const path = join(dir, 'ev.jsonl');
    writeFileSync(path, lines(0, 10));
    engine = await Engine.open();
    await engine.execute(
      `CREATE SOURCE ev (k VARCHAR, n BIGINT) WITH (connector = 'file', path = 'ev.jsonl', follow = true, on_truncate = 'reread');
       CREATE MATERIALIZED VIEW total AS SELECT COUNT(*) AS c, SUM(n) AS s FROM ev;`,
      { baseDir: dir },
    );
    const e = engine;
    const total = async () => JSON.stringify(await e.query('SELECT c, s FROM total'));
    await until(async () => (await total()) === JSON.stringify([{ c: 10, s: 45 }]), 'the first lines');
    writeFileSync(path, lines(100, 103));
    await until(async () => (await total()) === JSON.stringify([{ c: 13, s: 45 + 100 + 101 + 102 }]), 'the re-read file');
    expect(engine.backgroundFailures()).toEqual([]);
  });

  it('refuses an unknown on_truncate value', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'ev.jsonl'), lines(0, 1));
    engine = await Engine.open();
    await expect(
      engine.execute(`CREATE SOURCE ev (k VARCHAR, n BIGINT) WITH (connector = 'file', path = 'ev.jsonl', on_truncate = 'ignore')`, { baseDir: dir }),
    ).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("option 'on_truncate' must be one of 'error', 'reread', got 'ignore'") });
  });
});

/** A `sluice run` child whose stdout and stderr are collected as they come. */
function start(dir: string, args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function exitWithin(exit: Promise<number | null>, ms: number): Promise<number | null | 'timeout'> {
  return Promise.race([exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
}

const JOB = `CREATE SOURCE IF NOT EXISTS ev (k VARCHAR, n BIGINT) WITH (connector = 'file', path = 'ev.jsonl', follow = true);
CREATE MATERIALIZED VIEW IF NOT EXISTS per_k AS SELECT k, COUNT(*) AS c, SUM(n) AS s FROM ev GROUP BY k;
CREATE SINK IF NOT EXISTS out FROM ev WITH (connector = 'file', path = 'out.jsonl');
SELECT k, n FROM ev WHERE n % 2 = 0;
`;

describe.skipIf(!built)('sluice run with a followed source', () => {
  it('prints changes as lines are appended, stops on SIGTERM/SIGINT with exit 0, and resumes without doubling', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'job.sql'), JOB);
    writeFileSync(join(dir, 'ev.jsonl'), lines(0, 4));
    const run1 = start(dir, ['run', 'job.sql', '--db', 'state.duckdb', '--format', 'jsonl']);
    const printed = (out: string) => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { op: string; k: string; n: number });
    await until(() => printed(run1.out()).length === 2, `the first changes (stderr: ${run1.err()})`, 20_000);
    expect(printed(run1.out())).toEqual([
      { op: '+I', k: 'a', n: 0 },
      { op: '+I', k: 'c', n: 2 },
    ]);
    appendFileSync(join(dir, 'ev.jsonl'), lines(4, 8));
    await until(() => printed(run1.out()).length === 4, 'the changes of the appended lines');
    expect(printed(run1.out()).slice(2)).toEqual([
      { op: '+I', k: 'b', n: 4 },
      { op: '+I', k: 'a', n: 6 },
    ]);
    // Still running: it is a job without end.
    expect(run1.child.exitCode).toBe(null);
    run1.child.kill('SIGTERM');
    expect(await exitWithin(run1.exit, 20_000), run1.err()).toBe(0);

    // Lines written while nothing runs, then a second run stopped by SIGINT.
    appendFileSync(join(dir, 'ev.jsonl'), lines(8, 12));
    const sinkLines = () => readFileSync(join(dir, 'out.jsonl'), 'utf8').split('\n').filter((l) => l !== '').length;
    const run2 = start(dir, ['run', 'job.sql', '--db', 'state.duckdb', '--format', 'jsonl']);
    // The live SELECT starts with everything so far (even n in 0..11).
    await until(() => printed(run2.out()).length === 6, `the second run's changes (stderr: ${run2.err()})`, 20_000);
    appendFileSync(join(dir, 'ev.jsonl'), lines(12, 14));
    await until(() => printed(run2.out()).length === 7, "the second run's appended line");
    run2.child.kill('SIGINT');
    expect(await exitWithin(run2.exit, 20_000), run2.err()).toBe(0);

    // The final checkpoint holds every line exactly once: the view and the sink.
    writeFileSync(join(dir, 'check.sql'), 'SELECT k, c, s FROM per_k ORDER BY k;');
    const check = spawnSync(process.execPath, [CLI, 'run', 'check.sql', '--db', 'state.duckdb', '--format', 'jsonl'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(expected(0, 14));
    expect(sinkLines()).toBe(14);
  }, 120_000);

  it('reprints a table result when it changes', async () => {
    const dir = temp();
    writeFileSync(
      join(dir, 'job.sql'),
      `CREATE SOURCE ev (k VARCHAR, n BIGINT) WITH (connector = 'file', path = 'ev.jsonl', follow = true);
SELECT k, COUNT(*) AS c FROM ev GROUP BY k;
`,
    );
    writeFileSync(join(dir, 'ev.jsonl'), lines(0, 2));
    const run = start(dir, ['run', 'job.sql']);
    await until(() => /\ba\s*│\s*1\b/.test(run.out()) && /\bb\s*│\s*1\b/.test(run.out()), `the first table (stdout: ${run.out()} stderr: ${run.err()})`, 20_000);
    appendFileSync(join(dir, 'ev.jsonl'), lines(2, 4));
    await until(() => /\ba\s*│\s*2\b/.test(run.out()) && /\bc\s*│\s*1\b/.test(run.out()), `the refreshed table (stdout: ${run.out()})`);
    run.child.kill('SIGTERM');
    expect(await exitWithin(run.exit, 20_000), run.err()).toBe(0);
  }, 60_000);

  it('stops with exit 1 and a CONNECTOR error when the followed file is truncated', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'job.sql'), JOB);
    writeFileSync(join(dir, 'ev.jsonl'), lines(0, 4));
    const run = start(dir, ['run', 'job.sql', '--format', 'jsonl']);
    await until(() => run.out().split('\n').filter((l) => l !== '').length === 2, `the first changes (stderr: ${run.err()})`, 20_000);
    writeFileSync(join(dir, 'ev.jsonl'), lines(50, 51));
    expect(await exitWithin(run.exit, 20_000)).toBe(1);
    expect(run.err()).toContain('Connector Error');
    expect(run.err()).toContain(`source 'ev'`);
    expect(run.err()).toContain('ev.jsonl');
  }, 60_000);
});
