/** OVER against DuckDB: the shared random stream, batch cuts and the sluice-vs-DuckDB check of one view. */
import fc from 'fast-check';
import type { DuckDBConnection } from '@duckdb/node-api';
import { expect } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { duckRows, normRows } from './duck.js';

export const T0 = Date.UTC(2024, 0, 1);
export interface Ev {
  readonly id: number;
  readonly k: number;
  readonly x: number | null;
  readonly ts: number;
}

/** Unique event times, out of order by less than the watermark delay (2 s): no row is late. */
export const streamArb = fc
  .array(fc.record({ k: fc.integer({ min: 0, max: 3 }), x: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null, freq: 6 }), jitter: fc.integer({ min: 0, max: 1500 }) }), { maxLength: 40 })
  .map((rows) =>
    rows
      .map((r, i) => ({ id: i, k: r.k, x: r.x, ts: T0 + i * 700 + (i % 7) * 3, sortKey: T0 + i * 700 - r.jitter }))
      .sort((a, b) => a.sortKey - b.sortKey)
      .map(({ sortKey: _s, ...e }) => e as Ev),
  );

export const cutsArb = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 });

/** Rows made comparable with DuckDB's (doubles rounded). */
export const norm = (rows: readonly object[]) => normRows(rows, true);

/**
 * A check for the file's DuckDB connection: feeds `events` in batches of `cuts` to view `v`
 * over source `s` and expects its rows to equal `duckSql` over table `s` in DuckDB.
 */
export function overCheck(duck: () => DuckDBConnection) {
  return async function check(sluiceSql: string, duckSql: string, events: readonly Ev[], cuts: readonly number[]): Promise<void> {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
    await e.execute(`CREATE MATERIALIZED VIEW v AS ${sluiceSql}`);
    for (let i = 0, c = 0; i < events.length; c++) {
      const n = cuts[c % cuts.length]!;
      await e.insert('s', events.slice(i, i + n).map((x) => ({ ...x, ts: new Date(x.ts) })));
      i += n;
    }
    await e.endOfStream('s');
    const got = norm((await e.query('SELECT * FROM v')) as Row[]);
    await e.close();
    await duck().run('CREATE OR REPLACE TABLE s (id BIGINT, k BIGINT, x BIGINT, ts BIGINT)');
    if (events.length) await duck().run(`INSERT INTO s VALUES ${events.map((x) => `(${x.id}, ${x.k}, ${x.x ?? 'NULL'}, ${x.ts})`).join(', ')}`);
    expect(got).toEqual(await duckRows(duck(), duckSql, true));
  };
}
