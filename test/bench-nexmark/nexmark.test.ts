/**
 * The Nexmark queries of queries/nexmark/: each one sluice runs gives DuckDB's result over
 * the same events, and `sluice bench nexmark --json` prints SPEC 7's shape. No timing is asserted.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnsNeeded, DuckTables, sameRows } from '../../src/bench/duckdb-runner.js';
import { BENCH_QUERIES, findQuery, queriesDir } from '../../src/bench/nexmark-queries.js';
import { runSluice } from '../../src/bench/sluice-runner.js';
import { runNexmarkBench } from '../../src/bench/nexmark-bench.js';

const EVENTS = 10_000;
/** Events per second of event time: 40 s of it, so several tumbling, hopping and session windows close. */
const RATE = 250;

it('every benchmark query has a file and a DuckDB twin', () => {
  for (const q of BENCH_QUERIES) {
    expect(existsSync(`${queriesDir()}/${q.name}.sql`), q.name).toBe(true);
    expect(q.duckdb, q.name).not.toBeNull();
  }
});

it("DuckDB's tables hold the columns a query reads, every column for `*`", () => {
  const of = (name: string) => columnsNeeded([findQuery(name)!.duckdb!]);
  // q19 selects every column of bid (`SELECT *`): timing it over two would time a narrower query.
  expect(of('q19').get('bid')).toEqual(['auction', 'bidder', 'price', 'channel', 'url', 'date_time', 'extra']);
  expect(of('q9').get('auction')).toHaveLength(10);
  expect(of('q2').get('bid')).toEqual(['auction', 'price']);
  // COUNT(*) reads no column.
  expect(columnsNeeded(['SELECT bidder, COUNT(*) FROM bid GROUP BY bidder']).get('bid')).toEqual(['bidder']);
});

describe(`supported queries equal DuckDB's batch result over ${EVENTS} events (${EVENTS / RATE} s of event time)`, () => {
  let duck: DuckTables;
  beforeAll(async () => {
    duck = await DuckTables.load(EVENTS, columnsNeeded(null), RATE);
  });
  afterAll(() => duck.close());

  for (const { name } of BENCH_QUERIES) {
    it(name, async () => {
      const { rows } = await runSluice(name, EVENTS, true, RATE);
      expect(rows!.length).toBeGreaterThan(0);
      const q = findQuery(name)!;
      expect(sameRows(rows!, await duck.rows(q.duckdb!), q.compare)).toEqual({ same: true });
    });
  }
});

describe('sluice bench nexmark --json', () => {
  const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
  const built = existsSync(cli) && existsSync(fileURLToPath(new URL('../../dist/src/bench/nexmark-child.js', import.meta.url)));
  const bench = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) =>
      execFile(process.execPath, [cli, 'bench', 'nexmark', ...args], (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))),
    );

  it.skipIf(!built)('prints one JSON object per query with the numbers SPEC 7 names', async () => {
    const lines = (await bench(['--query', 'tumble_max', '--events', '5000', '--json'])).trim().split('\n');
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(r).toMatchObject({ query: 'tumble_max', events: 5000, result_matches_duckdb: true });
    for (const k of ['events_per_s', 'duckdb_events_per_s', 'ratio', 'peak_rss_mb', 'generator_events_per_s']) {
      expect(typeof r[k], k).toBe('number');
      expect(r[k] as number, k).toBeGreaterThan(0);
    }
  });

  it.skipIf(!built)('--state-only runs the view into a blackhole sink and says so, as --warmup its untimed runs', async () => {
    const r = JSON.parse((await bench(['--query', 'q12', '--events', '5000', '--json', '--state-only', '--runs', '4', '--warmup', '2'])).trim()) as Record<string, unknown>;
    expect(r).toMatchObject({ query: 'q12', state_only: true, runs: 4, warmup: 2, result_matches_duckdb: true });
    expect(r['peak_rss_mb'] as number).toBeGreaterThan(0);
    // The peak after the first of 6 runs, and after all: later runs can only have raised it.
    expect(r['peak_rss_all_runs_mb'] as number).toBeGreaterThanOrEqual(r['peak_rss_mb'] as number);
  });

  it('rejects fewer than 3 runs (the median of at least 3 counts)', async () => {
    await expect(runNexmarkBench({ query: 'q0', runs: 2, json: true })).rejects.toThrow(/--runs must be a whole number of at least 3/);
  });

  it('rejects a warm-up that is not a whole number of runs', async () => {
    await expect(runNexmarkBench({ query: 'q0', warmup: -1, json: true })).rejects.toThrow(/--warmup must be a whole number/);
  });

  it('rejects an unknown query', async () => {
    await expect(runNexmarkBench({ query: 'q99', json: true })).rejects.toThrow(/unknown query 'q99'/);
  });

  if (!built) it.skip('dist/ is missing: run `npm run build` to test the bench CLI', () => undefined);
});
