/**
 * Streams of doubles with NaN, ±Infinity, -0 and NULL against DuckDB: a view over them fed in
 * random batches (and, when asked, reopened from a checkpoint at one of the cuts) must hold
 * DuckDB's result over the same rows. Shared by the tests of NaN's order and of sums that
 * hold non-finite values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { expect } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { T0, type Ev } from './over-harness.js';


const valueArb = fc.option(fc.constantFrom(Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1.5, -2, 7), { nil: null, freq: 7 });

/** Events in time order (none late), 1 s apart: several per 10-second window. */
export const streamArb = fc
  .array(fc.record({ k: fc.integer({ min: 0, max: 3 }), x: valueArb }), { minLength: 1, maxLength: 30 })
  .map((rows) => rows.map((r, i): Ev => ({ id: i, k: r.k, x: r.x, ts: T0 + i * 1000 })));
export const cutsArb = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 });

/** A value both sides print alike: NaN and the infinities as text (JSON would make them null). */
function norm(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'number') return Math.round(v * 1e6) / 1e6 + 0;
  return v;
}

/** Rows as sorted texts, compared as values (see norm). */
export const rowsOf = (rows: readonly object[]) => rows.map((r) => JSON.stringify(Object.values(r).map(norm))).sort();

const sqlValue = (x: number | null) => (x === null ? 'NULL' : Number.isNaN(x) ? `'NaN'::DOUBLE` : !Number.isFinite(x) ? `'${x > 0 ? '' : '-'}Infinity'::DOUBLE` : Object.is(x, -0) ? '-0.0::DOUBLE' : `${x}::DOUBLE`);

/**
 * The check for a test file's DuckDB connection: view `sql` over source s fed `events` in
 * batches of `cuts`, against `duckSql` over table s. With `reopenAfter`, the engine runs on a
 * file, checkpoints and is reopened after that many batches (mod their number).
 */
export function nonFiniteCheck(duck: () => DuckDBConnection) {
  return async function check(sql: string, duckSql: string, events: readonly Ev[], cuts: readonly number[], reopenAfter?: number): Promise<void> {
    const dir = reopenAfter === undefined ? null : mkdtempSync(join(tmpdir(), 'sluice-nonfinite-'));
    const path = dir === null ? undefined : join(dir, 'v.duckdb');
    let e = await Engine.open({ path });
    try {
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`);
      await e.execute(`CREATE MATERIALIZED VIEW v AS ${sql}`);
      const batches: Ev[][] = [];
      for (let i = 0, c = 0; i < events.length; c++) {
        batches.push(events.slice(i, i + cuts[c % cuts.length]!));
        i += cuts[c % cuts.length]!;
      }
      const reopenAt = reopenAfter === undefined ? -1 : reopenAfter % batches.length;
      for (let b = 0; b < batches.length; b++) {
        await e.insert('s', batches[b]!.map((x) => ({ ...x, ts: new Date(x.ts) })));
        if (b === reopenAt) {
          await e.checkpoint();
          await e.close();
          e = await Engine.open({ path });
        }
      }
      await e.endOfStream('s');
      const got = rowsOf((await e.query('SELECT * FROM v')) as Row[]);
      await duck().run('CREATE OR REPLACE TABLE s (id BIGINT, k BIGINT, x DOUBLE, ts TIMESTAMP)');
      await duck().run(`INSERT INTO s VALUES ${events.map((x) => `(${x.id}, ${x.k}, ${sqlValue(x.x)}, make_timestamp(${x.ts * 1000}))`).join(', ')}`);
      const want = rowsOf((await duck().runAndReadAll(duckSql)).getRowObjectsJS() as Record<string, unknown>[]);
      expect(got).toEqual(want);
    } finally {
      await e.close();
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    }
  };
}
