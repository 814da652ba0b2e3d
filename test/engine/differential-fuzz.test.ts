/**
 * Random query shapes against DuckDB (SPEC 3): query-fuzz.ts builds random queries — nested
 * subqueries, views over views, GROUP BY, windows, joins (interval joins too), Top-N, OVER,
 * set operations, LIMIT — each with its DuckDB batch twin; they run as materialized views
 * over two random out-of-order sources (no late rows) fed in random batch sizes (views
 * created after some rows and replaying them, and the engine sometimes checkpointed, closed
 * and reopened mid-stream), and each view's final contents must equal DuckDB's rows.
 *
 * Deterministic in CI (a fixed seed). To explore:
 *   FUZZ_SEED=7 FUZZ_RUNS=800 FUZZ_TIME_MS=900000 FUZZ_COLLECT=/tmp/fails \
 *     npx vitest run test/engine/differential-fuzz.test.ts -t random --testTimeout=0
 * FUZZ_COLLECT writes each failing case (queries, streams, batches) as JSON and goes on;
 * without it fast-check shrinks the first failure, and FUZZ_DUMP=file.json keeps the smallest.
 * `FUZZ_REPLAY=file.json npx vitest run test/engine/differential-fuzz.test.ts -t replays`
 * runs one such case again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { assertSameRows, cut, cutsArb, Oracle, readViews, sourceSql, streamArb, type Ev } from './oracle.js';
import { viewsAfterArb } from './differential-harness.js';
import { generate, type FuzzQuery } from './query-fuzz.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261205);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 40);
/** fast-check stops generating (and shrinking) after this long; FUZZ_RUNS alone does not lift it. */
const TIME_MS = Number(process.env['FUZZ_TIME_MS'] ?? 90_000);
/** Where to write the smallest failing case found (JSON), if set. */
const DUMP = process.env['FUZZ_DUMP'];
/** Exploring: write every failing case to this folder and go on instead of shrinking. */
const COLLECT = process.env['FUZZ_COLLECT'];

let oracle: Oracle;
beforeAll(async () => {
  oracle = await Oracle.create();
});
afterAll(() => oracle.close());

/** b within ±1e9: sums over joins of deep expressions stay exact below 2^53 (BIGINT precision is tested elsewhere). */
const smallB = (events: Ev[]): Ev[] => events.map((e) => ({ ...e, b: e.b === null ? null : Math.trunc(e.b / 1000) }));

/** Runs the queries as views over s and s2 and compares each with its DuckDB twin. */
async function checkQueries(
  queries: readonly FuzzQuery[],
  s: Ev[],
  s2: Ev[],
  batches: number[],
  delayMs: number,
  viewsAfter = 0,
  restartAfter = 0,
): Promise<void> {
  const label = (q: FuzzQuery, i = 0) =>
    [...q.setup.map((v) => `CREATE MATERIALIZED VIEW ${v.name} AS ${v.sql};`), `CREATE MATERIALIZED VIEW m${i} AS ${q.sql};`, `-- oracle: ${q.oracle}`].join('\n');
  let rows: Map<string, unknown[][]>;
  const dir = restartAfter > 0 ? mkdtempSync(join(tmpdir(), 'sluice-fuzz-')) : null;
  try {
    rows = await runViews(queries, s, s2, batches, delayMs, viewsAfter, dir === null ? null : { path: join(dir, 'state.duckdb'), after: restartAfter });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${queries.map((q, i) => label(q, i)).join('\n')}`, { cause: e });
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
  await oracle.load(s, 't');
  await oracle.load(s2, 't2');
  for (const [i, q] of queries.entries()) sameRows(rows.get(`m${i}`)!, await oracle.rows(q.oracle), label(q, i));
}

const near = (a: unknown, b: unknown): boolean =>
  a === b || (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)));

/**
 * assertSameRows, but where its sort (numbers rounded to 6 decimals) puts rows of tiny
 * DOUBLEs (1e-8 and 2e-9 sort alike) in different orders, each row is matched to any equal one.
 */
function sameRows(actual: unknown[][], expected: unknown[][], label: string): void {
  try {
    assertSameRows(actual, expected, label);
  } catch (e) {
    if (actual.length !== expected.length) throw e;
    const left = [...expected];
    for (const row of actual) {
      const at = left.findIndex((o) => o.length === row.length && o.every((v, j) => near(row[j], v)));
      if (at < 0) throw e;
      left.splice(at, 1);
    }
  }
}

/**
 * Feeds s and s2 (their batches interleaved) to views created after `viewsAfter` rows of
 * each; with `restart`, into a database file, checkpointed, closed and reopened after that
 * many rows of each (the views go on from their restored state).
 */
async function runViews(
  queries: readonly FuzzQuery[],
  s: Ev[],
  s2: Ev[],
  batches: number[],
  delayMs: number,
  viewsAfter: number,
  restart: { path: string; after: number } | null,
): Promise<Map<string, unknown[][]>> {
  let engine = await Engine.open(restart === null ? {} : { path: restart.path });
  try {
    await engine.execute(sourceSql(delayMs, 's'));
    await engine.execute(sourceSql(delayMs, 's2'));
    const feed = async (from: number, to: number) => {
      const ca = cut(s.slice(Math.min(from, s.length), Math.min(to, s.length)), batches);
      const cb = cut(s2.slice(Math.min(from, s2.length), Math.min(to, s2.length)), [...batches].reverse());
      for (let i = 0; i < Math.max(ca.length, cb.length); i++) {
        if (i < ca.length) await engine.insert('s', ca[i]!);
        if (i < cb.length) await engine.insert('s2', cb[i]!);
      }
    };
    const end = Math.max(s.length, s2.length);
    const cuts = [...new Set([0, viewsAfter, restart?.after ?? 0, end].map((n) => Math.min(n, end)))].sort((a, b) => a - b);
    for (let c = 0; c < cuts.length; c++) {
      const at = cuts[c]!;
      if (at === Math.min(viewsAfter, end)) {
        for (const [i, q] of queries.entries()) {
          for (const v of q.setup) await engine.execute(`CREATE MATERIALIZED VIEW ${v.name} AS ${v.sql}`);
          await engine.execute(`CREATE MATERIALIZED VIEW m${i} AS ${q.sql}`);
        }
      }
      if (restart !== null && at === Math.min(restart.after, end) && at > 0) {
        await engine.execute('CHECKPOINT');
        await engine.close();
        engine = await Engine.open({ path: restart.path });
      }
      if (c + 1 < cuts.length) await feed(at, cuts[c + 1]!);
    }
    await engine.endOfStream('s');
    await engine.endOfStream('s2');
    return await readViews(
      engine,
      queries.map((_, i) => `m${i}`),
    );
  } finally {
    await engine.close();
  }
}

const tapeArb = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 200, size: 'max' });

/** Big runs: many keys (k has a digit of x appended), hundreds of rows in batches of up to 200 (hash tables grow, joins scan zones). */
const manyKeys = (events: Ev[]): Ev[] => events.map((e) => ({ ...e, k: e.k === null ? null : e.k + String(Math.abs(e.x ?? 0) % 13) }));

const inputArb = fc.tuple(fc.constantFrom(0, 1000, 3000), fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })).chain(([delayMs, big]) =>
  fc.record({
    delayMs: fc.constant(delayMs),
    s: streamArb({ delayMs, spanMs: big ? 120_000 : 60_000, nullKeys: true, maxLength: big ? 400 : 60 }).map((e) => (big ? manyKeys(smallB(e)) : smallB(e))),
    s2: streamArb({ delayMs, spanMs: big ? 120_000 : 60_000, nullKeys: true, maxLength: big ? 100 : 30 }).map((e) => (big ? manyKeys(smallB(e)) : smallB(e))),
    batches: big ? cutsArb(200) : cutsArb(),
    viewsAfter: viewsAfterArb,
    // Mostly 0; otherwise the engine is checkpointed, closed and reopened after that many rows of each source.
    restartAfter: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }) }),
    tapes: fc.array(tapeArb, { minLength: 1, maxLength: 5 }),
  }),
);

describe.runIf(process.env['FUZZ_REPLAY'])('a dumped case', () => {
  it('replays', async () => {
    const c = JSON.parse(readFileSync(process.env['FUZZ_REPLAY']!, 'utf8'));
    await checkQueries(c.queries, c.s, c.s2, c.batches, c.delayMs, c.viewsAfter, c.restartAfter ?? 0);
  });
});

describe('random query shapes equal DuckDB batch SQL over the same rows', () => {
  it('projections, filters, GROUP BY, windows, joins, Top-N, OVER, set operations, subqueries and views', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, async ({ delayMs, s, s2, batches, viewsAfter, restartAfter, tapes }) => {
        const queries = tapes.map((t, i) => generate(t, `f${i}_`));
        try {
          await checkQueries(queries, s, s2, batches, delayMs, viewsAfter, restartAfter);
        } catch (e) {
          const c = { queries, s, s2, batches, delayMs, viewsAfter, restartAfter };
          // The last failure written is the smallest fast-check found: a replayable case.
          if (DUMP) writeFileSync(DUMP, JSON.stringify(c));
          if (!COLLECT) throw e;
          writeFileSync(`${COLLECT}/fail-${Date.now()}.json`, JSON.stringify({ error: (e as Error).message, ...c }));
        }
      }),
      { seed: SEED, numRuns: RUNS, timeout: 60_000, interruptAfterTimeLimit: TIME_MS },
    );
  }, TIME_MS + 60_000);
});
