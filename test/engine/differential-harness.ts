/**
 * The differential harness shared by the engine's DuckDB-oracle tests: a family of views
 * (each with its DuckDB query) run over one random stream in a few engines, each view
 * compared with its oracle as a multiset of rows.
 */
import fc from 'fast-check';
import { afterAll, beforeAll } from 'vitest';
import { assertSameRows, cutsArb, Oracle, runSluice, streamArb, type Ev, type StreamOptions } from './oracle.js';

/** A materialized view and the same query as DuckDB batch SQL over table `t`. */
export interface Case {
  readonly name: string;
  readonly sql: string;
  readonly oracle: string;
}

/** Views per engine: every CREATE and pull query checkpoints every view, so a few per engine keep runs fast. */
export const VIEWS_PER_ENGINE = 7;

/** Mostly 0 (views first); otherwise the views are created after that many events and replay them. */
export const viewsAfterArb = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 100 }) });

/** A run's inputs: the watermark delay, the stream, its batch sizes and when the views are created. */
export type RunInput = [delayMs: number, events: Ev[], batches: number[], viewsAfter: number];

/** For each delay, a random stream with that delay, batch cuts and a views-after count. */
export function runInputArb(delayArb: fc.Arbitrary<number>, stream: Omit<StreamOptions, 'delayMs'>): fc.Arbitrary<RunInput> {
  return delayArb.chain((delayMs) => fc.tuple(fc.constant(delayMs), streamArb({ delayMs, ...stream }), cutsArb(), viewsAfterArb));
}

export interface Differential {
  /** The file's DuckDB oracle (open between beforeAll and afterAll). */
  readonly oracle: Oracle;
  /** Runs every case of a family over one stream and compares each view with its oracle. */
  check(cases: readonly Case[], events: Ev[], batches: number[], delayMs: number, viewsAfter?: number): Promise<void>;
  /** Checks the cases over every generated run input. */
  property(cases: readonly Case[], inputs: fc.Arbitrary<RunInput>, numRuns: number): Promise<void>;
}

/** Opens a DuckDB oracle for the file's tests; call at the top level, use inside tests. */
export function useDifferential(): Differential {
  let oracle: Oracle;
  beforeAll(async () => {
    oracle = await Oracle.create();
  });
  afterAll(() => oracle.close());

  async function check(cases: readonly Case[], events: Ev[], batches: number[], delayMs: number, viewsAfter = 0): Promise<void> {
    await oracle.load(events);
    for (let at = 0; at < cases.length; at += VIEWS_PER_ENGINE) {
      const group = cases.slice(at, at + VIEWS_PER_ENGINE);
      const run = await runSluice(
        events,
        group.map((c) => ({ name: c.name, sql: c.sql })),
        { delayMs, batches, viewsAfter },
      );
      try {
        for (const c of group) assertSameRows(run.rows.get(c.name)!, await oracle.rows(c.oracle), c.name);
      } finally {
        await run.engine.close();
      }
    }
  }

  return {
    get oracle() {
      return oracle;
    },
    check,
    property: (cases, inputs, numRuns) =>
      fc.assert(
        fc.asyncProperty(inputs, async ([delayMs, events, batches, after]) => check(cases, events, batches, delayMs, after)),
        { numRuns },
      ),
  };
}
