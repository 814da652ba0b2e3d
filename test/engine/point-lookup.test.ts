/**
 * Point lookups (pull queries pinning a GROUP BY view's whole key) are answered from the
 * aggregate's in-memory state. Every answer must be DuckDB's over the view's table: each
 * lookup is asked twice, as written (from state) and with ORDER BY 1 (which DuckDB answers),
 * over random batches with retractions, HAVING, projections over aggregates, computed keys
 * and every key type the fast path takes; `metrics().pointLookups` shows which path answered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const SETUP = `
  CREATE SOURCE ev (k BIGINT, s VARCHAR, b BOOLEAN, i INT, x DOUBLE, v BIGINT, d DECIMAL(10,2));
  CREATE MATERIALIZED VIEW by_k AS SELECT k, COUNT(*) AS n, SUM(v) AS total, MIN(d) AS lo, MAX(s) AS top, AVG(x) AS mean FROM ev GROUP BY k;
  CREATE MATERIALIZED VIEW by_sb AS SELECT s, b, COUNT(*) AS n, SUM(d) AS sd FROM ev GROUP BY s, b HAVING COUNT(*) > 1;
  CREATE MATERIALIZED VIEW by_i AS SELECT SUM(v) * 2 AS twice, i, COUNT(*) - 1 AS more FROM ev GROUP BY i;
  CREATE MATERIALIZED VIEW by_x AS SELECT x, COUNT(*) AS n FROM ev GROUP BY x;
  CREATE MATERIALIZED VIEW by_mod AS SELECT k % 3 AS m, COUNT(*) AS n FROM ev GROUP BY k % 3;
  CREATE MATERIALIZED VIEW by_n AS SELECT n, COUNT(*) AS keys FROM by_k GROUP BY n`;

type Event = { k: number; s: string | null; b: boolean; i: number; x: number; v: number; d: string };

const event = fc.record({
  k: fc.integer({ min: 0, max: 6 }),
  s: fc.constantFrom('a', 'b', 'é', null),
  b: fc.boolean(),
  i: fc.integer({ min: -2, max: 2 }),
  x: fc.constantFrom(0.5, 1, 2.25, 1e-3),
  v: fc.integer({ min: -5, max: 5 }),
  d: fc.constantFrom('0.10', '2.50', '-1.25', '99.99'),
});

/** [SQL, params per lookup]: each asked for every combination listed. */
const LOOKUPS: readonly (readonly [string, readonly (readonly unknown[])[]])[] = [
  ['SELECT * FROM by_k WHERE k = ?', [[0], [3], [6], [7]]],
  ['SELECT n AS count, by_k.total FROM by_k WHERE k = ?', [[1], [9]]],
  ['SELECT lo, mean FROM by_k q WHERE ? = q.k', [[2], [5]]],
  ['SELECT * FROM by_k WHERE k = 4', [[]]],
  ['SELECT * FROM by_sb WHERE s = ? AND b = ?', [['a', true], ['b', false], ['é', true], ['z', true]]],
  ['SELECT * FROM by_i WHERE i = ?', [[-2], [0], [2], [3]]],
  ['SELECT n FROM by_x WHERE x = ?', [[0.5], [2.25], [1e-3], [7]]],
  ['SELECT n, m FROM by_mod WHERE m = ?', [[0], [2]]],
  ['SELECT keys FROM by_n WHERE n = ?', [[1], [2], [3], [10]]],
];

async function withEngine(f: (e: Engine) => Promise<void>, path?: string): Promise<void> {
  const e = await Engine.open(path === undefined ? {} : { path });
  try {
    await f(e);
  } finally {
    await e.close();
  }
}

/** Asks every lookup from state and through DuckDB; expects the same rows, and the fast path for each. */
async function compareAll(e: Engine): Promise<void> {
  for (const [sql, paramSets] of LOOKUPS) {
    for (const params of paramSets) {
      const before = e.metrics().pointLookups;
      const fast = await e.query(sql, params);
      expect(e.metrics().pointLookups, `${sql} ${JSON.stringify(params)} answered from state`).toBe(before + 1);
      const duck = await e.query(`${sql} ORDER BY 1`, params);
      expect(e.metrics().pointLookups).toBe(before + 1);
      expect(fast, `${sql} ${JSON.stringify(params)}`).toEqual(duck);
    }
  }
}

describe('point lookups from state', () => {
  it('answer as DuckDB does over random batches (retractions through a view over a view)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(event, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 5 }), async (batches: Event[][]) => {
        await withEngine(async (e) => {
          await e.execute(SETUP);
          await compareAll(e);
          for (const batch of batches) {
            await e.insert('ev', batch);
            await compareAll(e);
          }
        });
      }),
      { numRuns: 12 },
    );
  }, 120_000);

  it('answer a reopened file database from its restored state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-lookup-'));
    const path = join(dir, 'v.duckdb');
    try {
      const rows = (k: number): Event => ({ k, s: 'a', b: k % 2 === 0, i: k % 3, x: 1, v: k, d: '1.50' });
      await withEngine(async (e) => {
        await e.execute(SETUP);
        await e.insert('ev', [rows(1), rows(2), rows(2), rows(3), rows(3), rows(3)]);
      }, path);
      await withEngine(async (e) => {
        await compareAll(e);
        await e.insert('ev', [rows(1), rows(6)]);
        await compareAll(e);
        expect(await e.query('SELECT n, total, lo FROM by_k WHERE k = ?', [3])).toEqual([{ n: 3, total: 9, lo: '1.50' }]);
      }, path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('go to DuckDB when the query or a value is not a lookup, with the same answer', async () => {
    await withEngine(async (e) => {
      await e.execute(SETUP);
      await e.insert('ev', [
        { k: 1, s: 'a', b: true, i: 1, x: 1, v: 5, d: '1.00' },
        { k: 1, s: 'a', b: true, i: 1, x: 1, v: 6, d: '2.00' },
      ]);
      const duckdbOnly: [string, unknown[], unknown[]][] = [
        ['SELECT n FROM by_k WHERE k = ?', [1.5], []],
        ['SELECT n FROM by_k WHERE k = ?', ['1'], [{ n: 2 }]],
        ['SELECT n FROM by_k WHERE k = ?', [null], []],
        ['SELECT n FROM by_k WHERE k = ? LIMIT 1', [1], [{ n: 2 }]],
        ['SELECT n FROM by_k WHERE n = ?', [2], [{ n: 2 }]],
        ['SELECT n FROM by_k WHERE k = ? AND n = 2', [1], [{ n: 2 }]],
        ['SELECT n FROM by_sb WHERE s = ?', ['a'], [{ n: 2 }]],
        ['SELECT n + 1 AS m FROM by_k WHERE k = ?', [1], [{ m: 3 }]],
        ['SELECT n FROM by_k WHERE k = ? OR k = 2', [1], [{ n: 2 }]],
      ];
      for (const [sql, params] of [['SELECT n FROM by_k WHERE k = ?', [1, 2]], ['SELECT n FROM by_k WHERE k = ?', []]] as const) {
        const before = e.metrics().pointLookups;
        await expect(e.query(sql, params), `${params.length} parameters`).rejects.toThrow();
        expect(e.metrics().pointLookups).toBe(before);
      }
      for (const [sql, params, expected] of duckdbOnly) {
        const before = e.metrics().pointLookups;
        expect(await e.query(sql, params), sql).toEqual(expected);
        expect(e.metrics().pointLookups, sql).toBe(before);
      }
    });
  });

  it('follow a view dropped and made again under the same name', async () => {
    await withEngine(async (e) => {
      await e.execute(`CREATE SOURCE ev (k BIGINT, v BIGINT);
        CREATE MATERIALIZED VIEW t AS SELECT k, COUNT(*) AS n FROM ev GROUP BY k`);
      await e.insert('ev', [{ k: 1, v: 10 }]);
      expect(await e.query('SELECT * FROM t WHERE k = ?', [1])).toEqual([{ k: 1, n: 1 }]);
      await e.execute(`DROP MATERIALIZED VIEW t; CREATE MATERIALIZED VIEW t AS SELECT k, SUM(v) AS total FROM ev GROUP BY k`);
      expect(await e.query('SELECT * FROM t WHERE k = ?', [1])).toEqual([{ k: 1, total: 10 }]);
      await e.execute(`REBUILD MATERIALIZED VIEW t`);
      await e.insert('ev', [{ k: 1, v: 5 }]);
      expect(await e.query('SELECT * FROM t WHERE k = ?', [1])).toEqual([{ k: 1, total: 15 }]);
      expect(e.metrics().pointLookups).toBe(3);
    });
  });
});
