/**
 * `sluice bench nexmark [--query qN] [--events N] [--json]` (SPEC 7).
 *
 * For each query of queries/nexmark/ (q0–q22, then hop_count, tumble_max, q11_sessions):
 * 1. a check on a small run (50,000 events at 1,000 per second of event time, so many
 *    windows close): sluice's final result against DuckDB's over the same events; a query the engine cannot run stops here, reported as unsupported
 *    with the engine's reason;
 * 2. generator-only speed: every column of the query's tables generated alone (the source
 *    itself makes only the columns the query reads);
 * 3. sluice: a child process (see nexmark-child.ts) runs the query 3 times (--runs) over N events,
 *    each in a fresh Engine, and reports each time and its peak RSS; the median counts;
 * 4. DuckDB: the same events preloaded once into one-thread in-memory tables (load not
 *    timed), the query computed into a table as many times; the median counts.
 * With --warmup W, each engine first runs the query W times untimed: the figure of a process
 * that has run it before (V8 compiles hot code in tiers as it runs), not of a cold one.
 * Events per second are N / seconds, N counting the whole Person/Auction/Bid sequence even
 * when a query reads one table (as Nexmark counts). Without --query, the run ends with the
 * incremental-versus-recompute measure over N bids (incremental.ts).
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { NexmarkGenerator } from '../connectors/nexmark/generator.js';
import { NEXMARK_SCHEMAS, type NexmarkTable } from '../connectors/nexmark/schemas.js';
import { SluiceError, toSluiceError } from '../errors.js';
import { columnsNeeded, DuckTables, sameRows } from './duckdb-runner.js';
import { runIncremental, type IncrementalResult } from './incremental.js';
import type { ChildResult } from './nexmark-child.js';
import { BENCH_QUERIES, findQuery, loadQueryScript, type BenchQuery } from './nexmark-queries.js';
import { runSluice } from './sluice-runner.js';

export interface BenchOptions {
  readonly query?: string;
  readonly events?: number;
  readonly json: boolean;
  /**
   * Materialized views feed a blackhole sink instead (the sluice runs only): peak RSS then
   * shows the operator state alone, not the view's growing contents.
   */
  readonly stateOnly?: boolean;
  /** Timed runs per query and engine, the median counts (default 3, at least 3). */
  readonly runs?: number;
  /** Untimed runs per query and engine before the timed ones (default 0). */
  readonly warmup?: number;
}

/**
 * Events per run by default. The joins keep their inputs in state (about 3 GB for q20 at
 * 1M events), so 10M for every query would not fit the machine; the stateless and windowed
 * queries are best measured alone with `--query Q --events 10000000`.
 */
export const DEFAULT_EVENTS = 1_000_000;
/** Events of the correctness check run before timing. */
export const CHECK_EVENTS = 50_000;
/** Its events per second of event time: 50 s of it, so that many windows and sessions close. */
export const CHECK_RATE = 1000;
const DEFAULT_RUNS = 3;
/** The engine's default batch_size: the generator-only measure reads as the source does. */
const GENERATOR_BATCH = 8192;

export type QueryReport =
  | {
      readonly query: string;
      readonly events: number;
      readonly events_per_s: number;
      readonly duckdb_events_per_s: number | null;
      readonly ratio: number | null;
      /** Peak RSS of a process that has run the query once (the measuring process, after its first run). */
      readonly peak_rss_mb: number;
      /** The measuring process's peak after all its runs: higher with more runs, as earlier runs' memory stays with the process. */
      readonly peak_rss_all_runs_mb: number;
      readonly result_matches_duckdb: boolean | null;
      readonly generator_events_per_s: number;
      readonly sluice_seconds: number;
      /** CPU seconds of the median run's timed span (below sluice_seconds when other processes competed for the core). */
      readonly sluice_cpu_seconds: number;
      readonly duckdb_seconds: number | null;
      readonly mismatch?: string;
      /** Run with --state-only: views fed a blackhole sink. */
      readonly state_only?: boolean;
      /** Timed runs per engine (the medians count). */
      readonly runs: number;
      /** Untimed runs per engine before them (only when asked for). */
      readonly warmup?: number;
    }
  | { readonly query: string; readonly events: number; readonly unsupported: string }
  | { readonly query: string; readonly events: number; readonly error: string };

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function runChild(query: string, events: number, runs: number, warmup: number, stateOnly: boolean): Promise<ChildResult> {
  const child = fileURLToPath(new URL('./nexmark-child.js', import.meta.url));
  return new Promise((resolve, reject) => {
    // The parent's node flags (--cpu-prof, --max-old-space-size…) apply to the child too.
    const args = [...process.execArgv, child, query, String(events), String(runs), String(warmup), ...(stateOnly ? ['blackhole'] : [])];
    execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult);
    });
  });
}

/** Seconds to generate the query's tables alone, with the columns its sources declare. */
function generatorSeconds(tables: readonly string[], events: number): number {
  const t0 = performance.now();
  for (const t of tables) {
    const g = new NexmarkGenerator(t as NexmarkTable, { events }, { columns: NEXMARK_SCHEMAS[t as NexmarkTable].map((c) => c.name) });
    while (g.nextColumns(GENERATOR_BATCH) !== null);
  }
  return (performance.now() - t0) / 1000;
}

/** Lazily loaded DuckDB tables, shared by all queries of a run. */
class LazyTables {
  private tables: Promise<DuckTables> | null = null;
  constructor(
    private readonly events: number,
    private readonly sqls: readonly string[] | null,
    private readonly rate?: number,
  ) {}
  get(): Promise<DuckTables> {
    this.tables ??= DuckTables.load(this.events, columnsNeeded(this.sqls), this.rate);
    return this.tables;
  }
  async close(): Promise<void> {
    if (this.tables) (await this.tables).close();
  }
}

/** What every query of one bench run shares. */
interface BenchRun {
  readonly events: number;
  readonly runs: number;
  readonly warmup: number;
  readonly stateOnly: boolean;
  /** DuckDB tables for the correctness check and for timing (loaded on first use). */
  readonly check: LazyTables;
  readonly timing: LazyTables;
  /** Generator-only seconds per set of tables. */
  readonly generator: Map<string, number>;
}

async function benchQuery(q: BenchQuery, run: BenchRun): Promise<QueryReport> {
  const { events, runs, warmup, stateOnly, check, timing, generator } = run;
  const checkEvents = Math.min(events, CHECK_EVENTS);
  let checkRows: unknown[][];
  try {
    checkRows = (await runSluice(q.name, checkEvents, true, CHECK_RATE)).rows!;
  } catch (e) {
    const err = toSluiceError(e);
    if (err.code === 'UNSUPPORTED') return { query: q.name, events, unsupported: err.message };
    return { query: q.name, events, error: `${err.code}: ${err.message}` };
  }
  let matches: boolean | null = null;
  let mismatch: string | undefined;
  if (q.duckdb !== null) {
    const r = sameRows(checkRows, await (await check.get()).rows(q.duckdb), q.compare);
    matches = r.same;
    mismatch = r.reason;
  }
  const tables = loadQueryScript(q.name, events).tables;
  const key = [...tables].sort().join(',');
  if (!generator.has(key)) generator.set(key, median(Array.from({ length: runs }, () => generatorSeconds(tables, events))));
  let child: ChildResult;
  try {
    child = await runChild(q.name, events, runs, warmup, stateOnly);
  } catch (e) {
    return { query: q.name, events, error: (e as Error).message };
  }
  const sluiceSeconds = median(child.seconds);
  const medianRun = child.seconds.indexOf(sluiceSeconds);
  let duckSeconds: number | null = null;
  if (q.duckdb !== null) {
    const duck = await timing.get();
    const times: number[] = [];
    for (let i = 0; i < warmup; i++) await duck.time(q.duckdb);
    for (let i = 0; i < runs; i++) times.push(await duck.time(q.duckdb));
    duckSeconds = median(times);
  }
  return {
    query: q.name,
    events,
    events_per_s: Math.round(events / sluiceSeconds),
    duckdb_events_per_s: duckSeconds === null ? null : Math.round(events / duckSeconds),
    ratio: duckSeconds === null ? null : round(duckSeconds / sluiceSeconds, 3),
    peak_rss_mb: Math.round(child.peak_rss_mb),
    peak_rss_all_runs_mb: Math.round(child.peak_rss_all_runs_mb),
    result_matches_duckdb: matches,
    generator_events_per_s: Math.round(events / generator.get(key)!),
    sluice_seconds: round(sluiceSeconds, 3),
    sluice_cpu_seconds: round(child.cpu_seconds[medianRun]!, 3),
    duckdb_seconds: duckSeconds === null ? null : round(duckSeconds, 3),
    runs,
    ...(warmup > 0 && { warmup }),
    ...(stateOnly && { state_only: true }),
    ...(mismatch !== undefined && { mismatch }),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Prints reports as JSON lines or as the rows of an aligned table. */
class Reporter {
  private static readonly COLUMNS: readonly (readonly [string, number])[] = [
    ['query', 13],
    ['events/s', 10],
    ['DuckDB ev/s', 12],
    ['ratio', 7],
    ['peak RSS', 9],
    ['generator ev/s', 15],
    ['matches', 8],
  ];

  constructor(private readonly json: boolean) {}

  start(events: number, runs: number, warmup: number, stateOnly: boolean): void {
    if (this.json) return;
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    const load = loadavg().map((x) => x.toFixed(2)).join(' ');
    const warm = warmup > 0 ? `, after ${warmup} untimed run${warmup > 1 ? 's' : ''} per engine` : '';
    process.stdout.write(`Nexmark, ${fmtCount(events)} events per run (median of ${runs}${warm}); ${cpu}, ${cpus().length} cores, load ${load}; node ${process.version}\n`);
    process.stdout.write(`ratio = sluice events/s / DuckDB (1 thread, batch SQL over preloaded tables) events/s\n`);
    if (stateOnly) process.stdout.write(`--state-only: sluice's views feed a blackhole sink, so peak RSS is the operators' state\n`);
    process.stdout.write('\n');
    process.stdout.write(Reporter.COLUMNS.map(([h, w], i) => (i === 0 ? h.padEnd(w) : h.padStart(w))).join(' ') + '\n');
  }

  query(r: QueryReport): void {
    if (this.json) {
      process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    const w = Reporter.COLUMNS.map(([, width]) => width);
    let cells: string[];
    if ('unsupported' in r) cells = [r.query, `unsupported: ${r.unsupported}`];
    else if ('error' in r) cells = [r.query, `error: ${r.error}`];
    else {
      cells = [
        r.query,
        fmtRate(r.events_per_s),
        r.duckdb_events_per_s === null ? '-' : fmtRate(r.duckdb_events_per_s),
        r.ratio === null ? '-' : r.ratio.toFixed(2),
        `${r.peak_rss_mb} MB`,
        fmtRate(r.generator_events_per_s),
        r.result_matches_duckdb === null ? '-' : r.result_matches_duckdb ? 'yes' : 'NO',
      ];
    }
    const line = cells.map((c, i) => (i === 0 ? c.padEnd(w[0]!) : cells.length === 2 ? ' ' + c : c.padStart(w[i]!))).join(' ');
    process.stdout.write(line + '\n');
    if (!('unsupported' in r) && !('error' in r) && r.mismatch) process.stdout.write(`  mismatch: ${r.mismatch}\n`);
  }

  incremental(r: IncrementalResult): void {
    if (this.json) {
      process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    process.stdout.write(
      `\nincremental: after ${fmtCount(r.bids)} bids, ${r.batch} more bids + a pull query on a windowed view: ` +
        `sluice ${r.sluice_ms.toFixed(1)} ms, DuckDB recomputing the view ${r.duckdb_recompute_ms.toFixed(1)} ms ` +
        `(${r.ratio.toFixed(1)}x; answers ${r.answers_match ? 'match' : 'DIFFER'}; median of ${r.rounds})\n`,
    );
  }
}

function fmtRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(0)}k`;
  return String(x);
}

function fmtCount(x: number): string {
  return x >= 1e6 && x % 1e5 === 0 ? `${x / 1e6}M` : x.toLocaleString('en-US');
}

export async function runNexmarkBench(options: BenchOptions): Promise<void> {
  const events = options.events ?? DEFAULT_EVENTS;
  if (!Number.isSafeInteger(events) || events < 50) {
    throw new SluiceError('ARGUMENT', `--events must be a whole number of at least 50, got ${options.events}`);
  }
  const wanted = options.query?.toLowerCase();
  const names = BENCH_QUERIES.map((q) => q.name);
  if (wanted !== undefined && wanted !== 'incremental' && !findQuery(wanted)) {
    throw new SluiceError('ARGUMENT', `unknown query '${options.query}' (queries: ${names.join(', ')}, incremental)`);
  }
  const runs = options.runs ?? DEFAULT_RUNS;
  if (!Number.isSafeInteger(runs) || runs < 3) {
    throw new SluiceError('ARGUMENT', `--runs must be a whole number of at least 3 (the median of 3 or more runs counts), got ${options.runs}`);
  }
  const warmup = options.warmup ?? 0;
  if (!Number.isSafeInteger(warmup) || warmup < 0) {
    throw new SluiceError('ARGUMENT', `--warmup must be a whole number of runs (0 or more), got ${options.warmup}`);
  }
  const queries = wanted === undefined ? BENCH_QUERIES : BENCH_QUERIES.filter((q) => q.name === wanted);
  const report = new Reporter(options.json);
  report.start(events, runs, warmup, options.stateOnly === true);
  const run: BenchRun = {
    events,
    runs,
    warmup,
    stateOnly: options.stateOnly === true,
    check: new LazyTables(Math.min(events, CHECK_EVENTS), null, CHECK_RATE),
    timing: new LazyTables(events, queries.map((q) => q.duckdb).filter((s): s is string => s !== null)),
    generator: new Map(),
  };
  try {
    for (const q of queries) report.query(await benchQuery(q, run));
  } finally {
    await run.check.close();
    await run.timing.close();
  }
  if (wanted === undefined || wanted === 'incremental') report.incremental(await runIncremental(events));
}
