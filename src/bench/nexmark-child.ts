/**
 * The bench's measuring process: runs one query `runs` times over `events` events, each
 * time in a fresh Engine, and prints one JSON line with the time of each run and the
 * process's peak RSS after its first run (and after all of them). The parent starts one
 * such process per query because the peak RSS the OS reports (getrusage's maxrss) is per
 * process and never goes down: only a process that did nothing but this query's runs gives
 * that query's peak. (Worker threads would
 * share the parent's RSS, and the parent also holds DuckDB's preloaded tables.)
 *
 * Usage: node dist/src/bench/nexmark-child.js QUERY EVENTS RUNS [WARMUP] [blackhole]
 * (WARMUP: untimed runs first, default 0; `blackhole`: a windowed view feeds a blackhole
 * sink instead of being materialized, so the peak RSS shows operator state alone; see
 * runSluice.)
 */
import { toSluiceError } from '../errors.js';
import { parkInstancesOnClose } from '../state/database.js';
import { runSluice } from './sluice-runner.js';

export interface ChildResult {
  readonly seconds: number[];
  /** CPU time (user + system) of each run: on a loaded machine, what the run itself cost. */
  readonly cpu_seconds: number[];
  /** The process's peak RSS once it has run the query once: what a process running it once peaks at. */
  readonly peak_rss_mb: number;
  /** The peak after every run: it grows with the runs (heap growth and fragmentation of earlier runs' memory). */
  readonly peak_rss_all_runs_mb: number;
}

async function main(): Promise<void> {
  const [query, eventsText, runsText, ...rest] = process.argv.slice(2);
  const events = Number(eventsText);
  const runs = Number(runsText ?? 3);
  const warmup = rest[0] !== undefined && rest[0] !== 'blackhole' ? Number(rest.shift()) : 0;
  const mode = rest[0];
  if (!query || !Number.isSafeInteger(events) || !Number.isSafeInteger(runs) || !Number.isSafeInteger(warmup)) {
    throw new Error('usage: nexmark-child.js QUERY EVENTS RUNS [WARMUP] [blackhole]');
  }
  // Each run's engine is fresh, but the instances of the ones before stay open (emptied):
  // closing one trims the whole process's heap, and the next run would fault it back in.
  if (process.env['SLUICE_BENCH_CLOSE_INSTANCES'] !== '1') parkInstancesOnClose();
  // maxRSS is in kilobytes.
  const peakMb = () => process.resourceUsage().maxRSS / 1024;
  let firstPeak: number | null = null;
  const run = async () => {
    const r = await runSluice(query, events, false, undefined, mode === 'blackhole');
    firstPeak ??= peakMb();
    return r;
  };
  for (let i = 0; i < warmup; i++) await run();
  const seconds: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await run();
    seconds.push(r.seconds);
    cpu.push(r.cpuSeconds);
  }
  const result: ChildResult = { seconds, cpu_seconds: cpu, peak_rss_mb: firstPeak ?? peakMb(), peak_rss_all_runs_mb: peakMb() };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  const err = toSluiceError(e);
  process.stderr.write(`${err.code}: ${err.message}\n`);
  process.exit(1);
});
