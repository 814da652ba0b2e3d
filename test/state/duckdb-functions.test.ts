/**
 * A pull query is answered by DuckDB; sluice's functions that DuckDB lacks or defines
 * otherwise (DATE_FORMAT and TO_TIMESTAMP with Flink patterns, TO_TIMESTAMP_LTZ, HASH) must
 * give there exactly what they give in a streaming view over the same rows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const EXPRS = [
  `DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss.SSS')`,
  `DATE_FORMAT(ts, 'EEE, d MMM yy')`,
  `TO_TIMESTAMP(s)`,
  `TO_TIMESTAMP(s, 'yyyy/MM/dd HH:mm')`,
  `TO_TIMESTAMP_LTZ(d, 3)`,
  `TO_TIMESTAMP_LTZ(d, 0)`,
  `HASH(k)`,
  `HASH(s)`,
  `HASH(d)`,
  `HASH(ts)`,
  `HASH(b)`,
];
const list = EXPRS.map((e, i) => `${e} AS e${i}`).join(', ');

const rowArb = fc.record({
  s: fc.option(fc.constantFrom('2024-01-02 03:04:05', '2024/02/29 23:59', 'nope', '', '1999-12-31 00:00:00'), { nil: null }),
  d: fc.option(fc.constantFrom(0, 1.5, 1_700_000_000, 1_700_000_000_123, -86_400), { nil: null }),
  ts: fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2030, 0, 1) }),
  b: fc.option(fc.boolean(), { nil: null }),
});

describe('sluice functions in pull queries', () => {
  it('equal the streaming results over the same rows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 20 }), async (rows) => {
        const e = await Engine.open();
        try {
          await e.execute(`CREATE SOURCE ev (k BIGINT, s VARCHAR, d DOUBLE, ts TIMESTAMP, b BOOLEAN, WATERMARK FOR ts AS ts)`);
          await e.execute(`CREATE MATERIALIZED VIEW raw AS SELECT * FROM ev`);
          await e.execute(`CREATE MATERIALIZED VIEW computed AS SELECT k, ${list} FROM ev`);
          await e.insert('ev', rows.map((r, k) => ({ k, ...r, ts: new Date(r.ts) })));
          const streamed = await e.query(`SELECT * FROM computed ORDER BY k`);
          const pulled = await e.query(`SELECT k, ${list} FROM raw ORDER BY k`);
          expect(pulled).toEqual(streamed);
        } finally {
          await e.close();
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('refuse a pattern they cannot follow, naming it, as a stream would', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE ev (ts TIMESTAMP)`);
      await e.execute(`CREATE MATERIALIZED VIEW raw AS SELECT * FROM ev`);
      await e.insert('ev', [{ ts: new Date(0) }]);
      const streaming = await e.execute(`CREATE MATERIALIZED VIEW bad AS SELECT DATE_FORMAT(ts, 'yyyy-qq') AS f FROM ev`).catch((x: Error) => x);
      const pulled = await e.query(`SELECT DATE_FORMAT(ts, 'yyyy-qq') AS f FROM raw`).catch((x: Error) => x);
      expect(streaming).toBeInstanceOf(Error);
      expect(pulled).toBeInstanceOf(Error);
      expect((pulled as Error).message).toContain('DATE_FORMAT');
    } finally {
      await e.close();
    }
  });
});
