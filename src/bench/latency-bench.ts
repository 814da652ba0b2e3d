/**
 * `sluice bench latency`: what one caller waits for. Throughput of `engine.insert` with plain
 * objects; read-your-writes (insert one event, then a point pull query on a GROUP BY view);
 * a small batch of new events plus the pull query against DuckDB recomputing the view;
 * durable single-event inserts, awaited one by one and all in flight at once; the first
 * checkpoint of a view with many groups; and the start-up of the `sluice` command.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromArrays } from '../exec/arrow.js';
import { Engine } from '../engine/engine.js';
import { SluiceError } from '../errors.js';
import { Database } from '../state/database.js';

export interface LatencyBenchOptions {
  readonly json: boolean;
  /** Events behind the GROUP BY view of the read-your-writes figures (default 1M). */
  readonly events?: number;
  /** Groups of the first-checkpoint figure (default: as many as events, at most 1M). */
  readonly groups?: number;
  /** Rows inserted as plain objects (default 1M). */
  readonly insertRows?: number;
  /** Seconds each durable-insert figure runs for (default 2). */
  readonly durableSeconds?: number;
  /** Inserts in flight at once for the concurrent durable figure (default 5,000). */
  readonly inFlight?: number;
  /** Read-your-writes rounds (default 300) and start-up runs per command (default 5). */
  readonly rounds?: number;
  readonly startupRuns?: number;
}

/** One figure: `figure` names it, the other fields are its numbers. */
export type Figure = { readonly figure: string } & Record<string, number | string | boolean>;

const SOURCE = `CREATE SOURCE ev (k BIGINT, v DOUBLE, ts TIMESTAMP)`;
const VIEW = `CREATE MATERIALIZED VIEW per_key AS SELECT k, COUNT(*) AS n, SUM(v) AS total FROM ev GROUP BY k`;
const POINT = `SELECT n, total FROM per_key WHERE k = ?`;
const OBJECT_BATCH = 50_000;
const ARROW_BATCH = 100_000;
const T0 = 1.7e12;

/** Events k = from+j mod keys, as Arrow (the fast way to fill a view before measuring). */
function events(from: number, n: number, keys: number) {
  const k = new Float64Array(n);
  const v = new Float64Array(n);
  const ts = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    k[j] = (from + j) % keys;
    v[j] = (from + j) % 97;
    ts[j] = T0 + from + j;
  }
  return { k, v, ts };
}

async function fill(e: Engine, n: number, keys: number): Promise<void> {
  for (let i = 0; i < n; i += ARROW_BATCH) await e.insert('ev', tableFromArrays(events(i, Math.min(ARROW_BATCH, n - i), keys)));
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

async function insertObjects(rows: number): Promise<Figure> {
  const e = await Engine.open();
  try {
    await e.execute(SOURCE);
    // Objects are made before the clock starts: the figure is the engine's, not the generator's.
    const batches: object[][] = [];
    for (let i = 0; i < rows; i += OBJECT_BATCH) {
      const m = Math.min(OBJECT_BATCH, rows - i);
      const b: object[] = new Array(m);
      for (let j = 0; j < m; j++) b[j] = { k: (i + j) % 1000, v: j % 97, ts: new Date(T0 + i + j) };
      batches.push(b);
    }
    const t0 = performance.now();
    for (const b of batches) await e.insert('ev', b);
    const ms = performance.now() - t0;
    return { figure: 'insert_objects', rows, batch: OBJECT_BATCH, rows_per_s: Math.round(rows / (ms / 1000)) };
  } finally {
    await e.close();
  }
}

/** Read-your-writes, then 1,000 new events + the pull query against DuckDB recomputing the view. */
async function readYourWrites(n: number, rounds: number): Promise<Figure[]> {
  const keys = Math.max(1, Math.floor(n / 10));
  const e = await Engine.open();
  try {
    await e.execute(SOURCE);
    await e.execute(VIEW);
    await fill(e, n, keys);
    await e.query(POINT, [0]);
    const lat: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const k = (r * 7919) % keys;
      const t0 = performance.now();
      await e.insert('ev', [{ k, v: 1, ts: new Date(T0 + n + r) }]);
      const rows = await e.query(POINT, [k]);
      lat.push(performance.now() - t0);
      if (rows.length !== 1) throw new Error(`read-your-writes: key ${k} has ${rows.length} rows`);
    }
    lat.sort((a, b) => a - b);
    const batch = 1000;
    const more = events(n + rounds, batch, keys);
    const t0 = performance.now();
    await e.insert('ev', tableFromArrays(more));
    const answer = await e.query(POINT, [more.k[0]!]);
    const sluiceMs = performance.now() - t0;
    const duck = await recompute(n, keys, rounds, more, more.k[0]!);
    const same = answer.length === 1 && Number(answer[0]!['n']) === duck.n;
    return [
      { figure: 'read_your_writes', events: n, rounds, p50_ms: round3(quantile(lat, 0.5)), p99_ms: round3(quantile(lat, 0.99)) },
      { figure: 'new_events_then_query', events: n, new_events: batch, sluice_ms: round1(sluiceMs), duckdb_recompute_ms: round1(duck.ms), answers_match: same },
    ];
  } finally {
    await e.close();
  }

  /** The same events in DuckDB (one thread): the time to recompute the view, then the point query. */
  async function recompute(n: number, keys: number, rounds: number, more: ReturnType<typeof events>, k: number): Promise<{ ms: number; n: number }> {
    const db = await Database.open();
    try {
      await db.run('SET threads = 1');
      await db.run('CREATE TABLE ev (k BIGINT, v DOUBLE, ts TIMESTAMP)');
      const add = async (c: ReturnType<typeof events>) =>
        db.append(
          'ev',
          [
            { type: 'BIGINT', numbers: c.k },
            { type: 'DOUBLE', numbers: c.v },
            { type: 'TIMESTAMP', numbers: c.ts },
          ],
          c.k.length,
        );
      for (let i = 0; i < n; i += ARROW_BATCH) await add(events(i, Math.min(ARROW_BATCH, n - i), keys));
      const extra = events(0, rounds, keys);
      for (let r = 0; r < rounds; r++) (extra.k[r] = (r * 7919) % keys), (extra.v[r] = 1);
      await add(extra);
      await add(more);
      const t0 = performance.now();
      await db.run('CREATE OR REPLACE TABLE per_key AS SELECT k, COUNT(*) AS n, SUM(v) AS total FROM ev GROUP BY k');
      const r = await db.query(`SELECT n FROM per_key WHERE k = ${k}`);
      return { ms: performance.now() - t0, n: Number(r.rows[0]?.[0]) };
    } finally {
      db.close();
    }
  }
}

/** Single-event inserts on a file database for about `seconds`, `inFlight` at a time. */
async function durableInserts(dir: string, seconds: number, inFlight: number): Promise<Figure> {
  const path = join(dir, `durable-${inFlight}.duckdb`);
  const e = await Engine.open({ path });
  try {
    await e.execute(SOURCE);
    await e.execute(VIEW);
    let done = 0;
    const t0 = performance.now();
    const until = t0 + seconds * 1000;
    const one = () => e.insert('ev', [{ k: done % 1000, v: 1, ts: new Date(T0 + done) }]).then(() => void done++);
    if (inFlight === 1) {
      while (performance.now() < until) await one();
    } else {
      // Rounds of `inFlight` inserts issued together, as many callers would.
      while (performance.now() < until) await Promise.all(Array.from({ length: inFlight }, one));
    }
    const ms = performance.now() - t0;
    return { figure: 'durable_insert', in_flight: inFlight, inserts: done, inserts_per_s: Math.round(done / (ms / 1000)) };
  } finally {
    await e.close();
  }
}

async function firstCheckpoint(dir: string, groups: number): Promise<Figure> {
  const e = await Engine.open({ path: join(dir, 'checkpoint.duckdb') });
  try {
    await e.execute(SOURCE);
    await e.execute(`SET checkpoint_interval = '1 hour'`);
    await e.execute(VIEW);
    await fill(e, groups, groups);
    const t0 = performance.now();
    await e.checkpoint();
    return { figure: 'first_checkpoint', groups, ms: Math.round(performance.now() - t0) };
  } finally {
    await e.close();
  }
}

/** The built CLI: dist/src/cli/main.js of the package this module belongs to (also when this module runs from src/, as under vitest). */
export function cliPath(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new SluiceError('ARGUMENT', 'cannot find the sluice package to start its CLI');
    d = up;
  }
  return join(d, 'dist', 'src', 'cli', 'main.js');
}

function timeChild(args: readonly string[]): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done(performance.now() - t0) : fail(new Error(`sluice ${args.slice(1).join(' ')} failed: ${err}`))));
  });
}

async function startup(dir: string, runs: number): Promise<Figure[]> {
  const cli = cliPath();
  const file = join(dir, 'one.sql');
  writeFileSync(file, 'SELECT 1 AS x;\n');
  const out: Figure[] = [];
  for (const [name, args] of [
    ['--version', [cli, '--version']],
    ['run', [cli, 'run', file]],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timeChild(args));
    out.push({ figure: 'startup', command: name, runs, median_ms: Math.round(median(times)) });
  }
  return out;
}

/** Every figure, in the order printed (the bench's measurements without the printing). */
export async function measureLatency(options: Omit<LatencyBenchOptions, 'json'>, onFigure: (f: Figure) => void): Promise<void> {
  const n = options.events ?? 1_000_000;
  if (!Number.isSafeInteger(n) || n < 10) throw new SluiceError('ARGUMENT', `--events must be a whole number of at least 10, got ${options.events}`);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-latency-'));
  try {
    onFigure(await insertObjects(options.insertRows ?? 1_000_000));
    for (const f of await readYourWrites(n, options.rounds ?? 300)) onFigure(f);
    const seconds = options.durableSeconds ?? 2;
    onFigure(await durableInserts(dir, seconds, 1));
    onFigure(await durableInserts(dir, seconds, options.inFlight ?? 5000));
    onFigure(await firstCheckpoint(dir, options.groups ?? Math.min(n, 1_000_000)));
    for (const f of await startup(dir, options.startupRuns ?? 5)) onFigure(f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A figure as one line of text. */
function describe(f: Figure): string {
  const count = (x: unknown) => Number(x).toLocaleString('en');
  switch (f.figure) {
    case 'insert_objects':
      return `engine.insert, plain objects in ${count(f['batch'])}-row batches (memory): ${count(f['rows_per_s'])} rows/s`;
    case 'read_your_writes':
      return `insert 1 event + point pull query, view over ${count(f['events'])} events: p50 ${f['p50_ms']} ms, p99 ${f['p99_ms']} ms`;
    case 'new_events_then_query':
      return (
        `${count(f['new_events'])} new events + the pull query: sluice ${f['sluice_ms']} ms, ` +
        `DuckDB recomputing the view ${f['duckdb_recompute_ms']} ms (answers ${f['answers_match'] ? 'match' : 'DIFFER'})`
      );
    case 'durable_insert':
      return `durable single-event insert (file), ${count(f['in_flight'])} in flight: ${count(f['inserts_per_s'])} inserts/s`;
    case 'first_checkpoint':
      return `first checkpoint, view with ${count(f['groups'])} groups: ${count(f['ms'])} ms`;
    case 'startup':
      return `start-up, sluice ${f['command'] === 'run' ? 'run of a one-line file' : f['command']}: ${f['median_ms']} ms (median of ${f['runs']})`;
    default:
      return JSON.stringify(f);
  }
}

export async function runLatencyBench(options: LatencyBenchOptions): Promise<void> {
  await measureLatency(options, (f) => process.stdout.write((options.json ? JSON.stringify(f) : describe(f)) + '\n'));
}
