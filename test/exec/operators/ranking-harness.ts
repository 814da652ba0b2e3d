/**
 * Deduplication and Top-N with ties against DuckDB: one view over the OVER tests' random
 * stream (unique event times, out of order within the watermark delay), its changelog
 * recorded from the start and folded, and its final contents compared with DuckDB's.
 */
import fc from 'fast-check';
import type { DuckDBConnection } from '@duckdb/node-api';
import { expect } from 'vitest';
import { Engine, type Change, type Row } from '../../../src/index.js';
import { duckRows } from './duck.js';
import { norm, T0, type Ev } from './over-harness.js';

/**
 * Like the OVER tests' stream but longer (100–300 rows over 6 keys, x in 0..20): partitions
 * fill up, so rows are pushed out of a Top-N and keys get many rows. Times are unique and out
 * of order by less than the 2 s watermark delay (no row is late).
 */
export const longStreamArb = fc
  .array(fc.record({ k: fc.integer({ min: 0, max: 5 }), x: fc.option(fc.integer({ min: 0, max: 20 }), { nil: null, freq: 8 }), jitter: fc.integer({ min: 0, max: 1500 }) }), {
    minLength: 100,
    maxLength: 300,
  })
  .map((rows) =>
    rows
      .map((r, i) => ({ id: i, k: r.k, x: r.x, ts: T0 + i * 400 + (i % 5), sortKey: T0 + i * 400 - r.jitter }))
      .sort((a, b) => a.sortKey - b.sortKey)
      .map(({ sortKey: _s, ...e }) => e as Ev),
  );

export interface RankRun {
  /** The changes the view emitted, in order. */
  readonly changes: readonly Change[];
  /** The rows the changes fold to (sorted JSON texts, as norm gives). */
  readonly folded: string[];
}

/** A multiset of rows (as JSON texts) from a changelog; throws on a retraction of a row not there. */
export function fold(changes: readonly Change[]): string[] {
  const counts = new Map<string, number>();
  for (const c of changes) {
    const key = norm([c.row])[0]!;
    const n = (counts.get(key) ?? 0) + (c.op === '+I' || c.op === '+U' ? 1 : -1);
    if (n < 0) throw new Error(`${c.op} of a row not in the view: ${key}`);
    if (n === 0) counts.delete(key);
    else counts.set(key, n);
  }
  return [...counts].flatMap(([k, n]) => Array<string>(n).fill(k)).sort();
}

/**
 * Feeds `events` in batches of `cuts` to view `v` over source `s`, and expects the view's
 * contents and its folded changelog to equal `duckSql` over table `s` in DuckDB.
 */
export function rankCheck(duck: () => DuckDBConnection) {
  return async function check(sluiceSql: string, duckSql: string, events: readonly Ev[], cuts: readonly number[]): Promise<RankRun> {
    const e = await Engine.open();
    const changes: Change[] = [];
    let got: string[];
    try {
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
      await e.execute(`CREATE MATERIALIZED VIEW v AS ${sluiceSql}`);
      e.subscribe('v', (c) => changes.push(c));
      for (let i = 0, c = 0; i < events.length; c++) {
        const n = cuts[c % cuts.length]!;
        await e.insert('s', events.slice(i, i + n).map((x) => ({ ...x, ts: new Date(x.ts) })));
        i += n;
      }
      await e.endOfStream('s');
      got = norm((await e.query('SELECT * FROM v')) as Row[]);
    } finally {
      await e.close();
    }
    await duck().run('CREATE OR REPLACE TABLE s (id BIGINT, k BIGINT, x BIGINT, ts BIGINT)');
    if (events.length) await duck().run(`INSERT INTO s VALUES ${events.map((x) => `(${x.id}, ${x.k}, ${x.x ?? 'NULL'}, ${x.ts})`).join(', ')}`);
    const want = await duckRows(duck(), duckSql, true);
    expect(got).toEqual(want);
    const folded = fold(changes);
    expect(folded).toEqual(want);
    return { changes, folded };
  };
}
