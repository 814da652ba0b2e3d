/**
 * Crash tests: `sluice run --db` is killed with SIGKILL at random moments and resumed; in the
 * end every view and every sink file must equal those of a run that never crashed — no line
 * missing, none doubled.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = resolve('dist/src/cli/main.js');
const built = existsSync(CLI);
const dirs: string[] = [];
afterAll(() => { if (!process.env.KEEP) dirs.forEach((d) => rmSync(d, { recursive: true, force: true })); });

/** A deterministic pseudo-random source so a failing kill schedule can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function run(dir: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', input, maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a run and kills it after `ms`; true when the kill landed before the run ended. */
function runAndKill(dir: string, args: string[], ms: number): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      done(signal === 'SIGKILL');
    });
  });
}

interface Scenario {
  readonly name: string;
  readonly sql: string;
  readonly sinks: readonly string[];
  readonly views: string;
  readonly setup?: (dir: string) => void;
}

function writeEvents(dir: string, n: number): void {
  const r = rng(42);
  const lines: string[] = [];
  let t = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 40);
    const ts = t - Math.floor(r() * 1500);
    // Now and then a line sluice cannot read: it goes to the dead letters exactly once.
    if (i % 5000 === 17) lines.push('{"k": 1, "v": oops}');
    lines.push(JSON.stringify({ k: i % 37, v: Math.round(r() * 1000) / 10, ts: new Date(ts).toISOString() }));
  }
  writeFileSync(join(dir, 'events.jsonl'), lines.join('\n') + '\n');
}

const FILE_SCENARIO: Scenario = {
  name: 'file source with windows, sessions, changelog views (one an OVER over a GROUP BY) and two sinks',
  setup: (dir) => writeEvents(dir, 1_000_000),
  sql: `SET checkpoint_interval = '50 milliseconds';
CREATE SOURCE IF NOT EXISTS events (k BIGINT, v DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
  WITH (connector = 'file', path = 'events.jsonl', format = 'jsonl');
CREATE MATERIALIZED VIEW IF NOT EXISTS per_window AS
  SELECT window_start, k, COUNT(*) AS n, SUM(v) AS total, MAX(v) AS mx
  FROM TUMBLE(events, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE;
CREATE MATERIALIZED VIEW IF NOT EXISTS per_key AS SELECT k, COUNT(*) AS n, AVG(v) AS avg_v FROM events GROUP BY k;
CREATE MATERIALIZED VIEW IF NOT EXISTS sessions AS
  SELECT k, window_start, window_end, COUNT(*) AS n
  FROM SESSION(events PARTITION BY k, ts, INTERVAL '5' SECOND) GROUP BY k, window_start, window_end;
CREATE MATERIALIZED VIEW IF NOT EXISTS moving AS
  SELECT k, n, AVG(n) OVER (ORDER BY n, k ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS near
  FROM (SELECT k, COUNT(*) AS n FROM events GROUP BY k);
CREATE SINK IF NOT EXISTS out_windows FROM per_window WITH (connector = 'file', path = 'windows.jsonl', format = 'jsonl');
CREATE SINK IF NOT EXISTS out_keys FROM per_key WITH (connector = 'file', path = 'keys.csv', format = 'csv');
`,
  sinks: ['windows.jsonl', 'keys.csv'],
  views: `SELECT * FROM per_window ORDER BY ALL;
SELECT * FROM per_key ORDER BY ALL;
SELECT * FROM sessions ORDER BY ALL;
SELECT * FROM moving ORDER BY ALL;
SELECT seq, op, k, n, avg_v FROM CHANGES(per_key) ORDER BY seq;
SELECT source, "offset", raw, reason FROM sluice_dead_letters ORDER BY ALL;
SELECT source, "offset", event_time, watermark, "view", "row" FROM sluice_late_events ORDER BY ALL;`,
};

const NEXMARK_SCENARIO: Scenario = {
  name: 'nexmark generator with a hopping window and a changelog sink',
  sql: `SET checkpoint_interval = '50 milliseconds';
CREATE SOURCE IF NOT EXISTS bid (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) WITH (connector = 'nexmark', table = 'bid', events = 800000);
CREATE MATERIALIZED VIEW IF NOT EXISTS hot AS
  SELECT auction, window_start, COUNT(*) AS bids, MAX(price) AS top
  FROM HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end EMIT ON WINDOW CLOSE;
CREATE MATERIALIZED VIEW IF NOT EXISTS spend AS SELECT bidder % 100 AS b, SUM(price) AS total, COUNT(DISTINCT auction) AS auctions FROM bid GROUP BY bidder % 100;
CREATE SINK IF NOT EXISTS out_spend FROM spend WITH (connector = 'file', path = 'spend.jsonl', format = 'jsonl');
`,
  sinks: ['spend.jsonl'],
  views: `SELECT * FROM hot ORDER BY ALL;
SELECT * FROM spend ORDER BY ALL;`,
};

async function crashAndCompare(s: Scenario, kills: number, seed: number): Promise<number> {
  const base = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
  dirs.push(base);
  const ref = join(base, 'ref');
  const crash = join(base, 'crash');
  for (const d of [ref, crash]) {
    spawnSync('mkdir', ['-p', d]);
    writeFileSync(join(d, 'job.sql'), s.sql);
    writeFileSync(join(d, 'views.sql'), s.views);
  }
  s.setup?.(ref);
  if (existsSync(join(ref, 'events.jsonl'))) copyFileSync(join(ref, 'events.jsonl'), join(crash, 'events.jsonl'));

  const t0 = Date.now();
  const refRun = run(ref, ['run', 'job.sql', '--db', 'state.duckdb']);
  expect(refRun.status, refRun.stderr + String(refRun.status)).toBe(0);
  const duration = Date.now() - t0;
  const refViews = run(ref, ['run', 'views.sql', '--db', 'state.duckdb', '--format', 'csv']);
  expect(refViews.status, refViews.stderr).toBe(0);

  const random = rng(seed);
  let landed = 0;
  for (let i = 0; i < kills; i++) {
    // Kill anywhere from process start-up (recovery) into the work: within the first half of
    // an uninterrupted run, so that a resumed run (less left to do) is still killed mid-way.
    const ms = 60 + Math.floor(random() * Math.min(2500, duration / 2));
    if (await runAndKill(crash, ['run', 'job.sql', '--db', 'state.duckdb'], ms)) landed++;
  }
  const final = run(crash, ['run', 'job.sql', '--db', 'state.duckdb']);
  expect(final.status, final.stderr).toBe(0);
  const views = run(crash, ['run', 'views.sql', '--db', 'state.duckdb', '--format', 'csv']);
  expect(views.status, views.stderr).toBe(0);
  expect(views.stdout).toBe(refViews.stdout);
  for (const f of s.sinks) {
    expect(readFileSync(join(crash, f), 'utf8'), `sink file ${f}`).toBe(readFileSync(join(ref, f), 'utf8'));
  }
  if (process.env.CRASH_DEBUG) console.log(s.name, 'landed', landed, 'of', kills, 'duration', duration);
  return landed;
}

describe.skipIf(!built)('crash recovery (kill -9) is exactly-once', () => {
  let landed = 0;
  it(FILE_SCENARIO.name, async () => {
    landed += await crashAndCompare(FILE_SCENARIO, 12, 7);
  }, 180_000);

  it(NEXMARK_SCENARIO.name, async () => {
    landed += await crashAndCompare(NEXMARK_SCENARIO, 10, 11);
  }, 180_000);

  it('killed the process at least 20 times across the suite', () => {
    expect(landed).toBeGreaterThanOrEqual(20);
  });
});
