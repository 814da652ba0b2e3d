/**
 * Group commit converts consecutive inserts of objects into a source without event time as
 * one batch (Inserter.stageTogether). Whatever mix a group holds — rows set aside, values
 * out of range, other partitions, empty inserts, bad arguments — each insert must resolve
 * (or fail) exactly as when the same calls are awaited one by one, and the log, the dead
 * letters and the views must end the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, type InsertOptions } from '../../src/index.js';

const SETUP = `CREATE SOURCE ev (id BIGINT, k VARCHAR, x DOUBLE);
  CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS n, SUM(id) AS s, SUM(x) AS sx FROM ev GROUP BY k;`;
/** With event time: each insert reaches the view alone, so the same rows are late. */
const TIMED = `CREATE SOURCE ev (id BIGINT, k VARCHAR, x DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND);
  CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS n, SUM(id) AS s, SUM(x) AS sx FROM TUMBLE(ev, ts, INTERVAL '5' SECOND) GROUP BY k, window_start, window_end;`;
/** The same with a stream key: each insert of one stream's rows resolves with its version. */
const KEYED = `CREATE SOURCE ev (id BIGINT, k VARCHAR, x DOUBLE) WITH (key = 'k');
  CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS n, SUM(id) AS s, SUM(x) AS sx FROM ev GROUP BY k;`;

type Call = { rows: unknown[]; options: InsertOptions };

const row = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      id: fc.integer({ min: -50, max: 50 }),
      k: fc.constantFrom('a', 'b', 'c'),
      x: fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
      // Event time over 30 s: rows behind the watermark are late (the timed source); ignored by the others.
      ts: fc.integer({ min: 0, max: 30 }).map((s) => new Date(Date.UTC(2024, 0, 1, 0, 0, s))),
    }),
  },
  // Set aside: not an object, or a value of the wrong type.
  { weight: 1, arbitrary: fc.constantFrom<unknown>('not an object', { id: 'seven', k: 'a', x: 1 }, null) },
  // Missing columns (NULLs), other spellings of a key.
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ id: 1 }, { ID: 2, K: 'b' }) },
  // Out of BIGINT's range: the insert fails (OVERFLOW) or sets the row aside.
  { weight: 1, arbitrary: fc.constant<unknown>({ id: 1e300, k: 'a', x: 0 }) },
  // A NULL stream key (keyed source): that insert fails alone.
  { weight: 1, arbitrary: fc.constant<unknown>({ id: 3, k: null, x: 0 }) },
);

const call: fc.Arbitrary<Call> = fc.record({
  rows: fc.array(row, { maxLength: 4 }),
  options: fc.oneof({ weight: 8, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.constant({ partition: 'p1' }) }, { weight: 1, arbitrary: fc.constant({ expectedVersion: 0 }) }),
});

type Outcome = { ok: { inserted: number; rejected: number; offsets: number[]; version?: number } } | { err: string };

async function run(setup: string, calls: readonly Call[], together: boolean): Promise<{ outcomes: Outcome[]; log: unknown; dead: unknown; view: unknown; versions: unknown; late: unknown }> {
  const e = await Engine.open();
  try {
    await e.execute(setup);
    const one = (c: Call): Promise<Outcome> =>
      e.insert('ev', c.rows as object[], c.options).then(
        (r) => ({ ok: { inserted: r.inserted, rejected: r.rejected, offsets: r.offsets, ...(r.version === undefined ? {} : { version: r.version }) } }),
        (err: unknown) => ({ err: `${(err as { code?: string }).code}: ${(err as Error).message}` }),
      );
    const outcomes: Outcome[] = [];
    if (together) outcomes.push(...(await Promise.all(calls.map(one))));
    else for (const c of calls) outcomes.push(await one(c));
    return {
      outcomes,
      log: await e.query(`SELECT sluice_offset, id, k, x${setup === KEYED ? ', sluice_stream_version' : ''} FROM sluice_log_ev ORDER BY sluice_offset`),
      dead: await e.query(`SELECT source, "offset", raw, reason FROM sluice_dead_letters ORDER BY "offset"`),
      view: await e.query(`SELECT k, n, s, sx FROM per_k ORDER BY ALL`),
      versions: setup === KEYED ? await Promise.all(['a', 'b', 'c'].map((k) => e.streamVersion('ev', k))) : null,
      late: setup === TIMED ? await e.query(`SELECT source, "offset" FROM sluice_late_events ORDER BY "offset"`) : null,
    };
  } finally {
    await e.close();
  }
}

describe('group commit of inserts converted together', () => {
  it.each([
    ['a source', SETUP],
    ['a keyed source (stream versions)', KEYED],
    ['a source with event time (late rows)', TIMED],
  ])('resolves each insert into %s and ends the log, dead letters and views as the same calls awaited one by one', async (_, setup) => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 40 }), async (calls) => {
        const together = await run(setup, calls, true);
        const apart = await run(setup, calls, false);
        expect(together).toEqual(apart);
      }),
      { numRuns: 50 },
    );
  }, 120_000);

  it('5,000 one-row inserts in flight share one batch: offsets in call order, the view as their sum', async () => {
    const e = await Engine.open();
    try {
      await e.execute(SETUP);
      const n = 5000;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => e.insert('ev', [{ id: i, k: 'a', x: 1 }])));
      expect(results.map((r) => r.offsets)).toEqual(Array.from({ length: n }, (_, i) => [i]));
      expect(await e.query(`SELECT n, s FROM per_k`)).toEqual([{ n: 5000, s: (n * (n - 1)) / 2 }]);
    } finally {
      await e.close();
    }
  });
});
