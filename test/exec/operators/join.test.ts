/**
 * Joins against DuckDB (SPEC 3): two streams fed in random interleaved batches, with NULL
 * and duplicate keys; every join kind, a residual condition, and joins of changelogs (two
 * aggregates). The view's final contents must equal DuckDB's batch result; folding the
 * changelog must give the contents.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';
import { duckRows, insertAlternating, normRows as norm, useDuck } from './duck.js';

interface L {
  readonly id: number | null;
  readonly a: number;
  readonly s: string | null;
}
interface R {
  readonly id: number | null;
  readonly b: number;
}

const lArb = fc.record({ id: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 6 }), a: fc.integer({ min: 0, max: 9 }), s: fc.option(fc.constantFrom('x', 'y', 'z'), { nil: null }) });
const rArb = fc.record({ id: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 6 }), b: fc.integer({ min: 0, max: 9 }) });

const duck = useDuck();

const QUERIES: Record<string, string> = {
  inner: 'SELECT l.id, l.a, l.s, r.b FROM l JOIN r ON l.id = r.id',
  left: 'SELECT l.id, l.a, r.id AS rid, r.b FROM l LEFT JOIN r ON l.id = r.id',
  right: 'SELECT l.a, r.id, r.b FROM l RIGHT JOIN r ON l.id = r.id',
  full: 'SELECT l.id, l.a, r.id AS rid, r.b FROM l FULL JOIN r ON l.id = r.id',
  residual_left: 'SELECT l.id, l.a, r.b FROM l LEFT JOIN r ON l.id = r.id AND l.a < r.b',
  residual_full: 'SELECT l.a, r.b FROM l FULL OUTER JOIN r ON l.id = r.id AND l.a + r.b > 8',
  cross_filtered: 'SELECT l.a, r.b FROM l CROSS JOIN r WHERE l.a = r.b',
  using: 'SELECT id, a, b FROM l JOIN r USING (id)',
  changelogs:
    'SELECT x.id, x.n, y.total FROM (SELECT id, COUNT(*) AS n FROM l GROUP BY id) x LEFT JOIN (SELECT id, SUM(b) AS total FROM r GROUP BY id) y ON x.id = y.id',
  // Equalities on expressions are hash keys computed below the join (NULL ids give NULL keys).
  expr_inner: 'SELECT l.id, l.a, r.id AS rid, r.b FROM l JOIN r ON l.a % 3 = r.b % 3',
  expr_left_reversed: 'SELECT l.id, l.a, r.id AS rid, r.b FROM l LEFT JOIN r ON r.id = l.id + 1 AND l.a < r.b',
  expr_full_mixed: 'SELECT l.id, l.a, r.id AS rid, r.b FROM l FULL JOIN r ON l.id = r.id AND l.a % 4 = r.b - 2',
  expr_text_cast: "SELECT l.s, l.a, r.b FROM l RIGHT JOIN r ON UPPER(l.s) = CASE WHEN r.b > 4 THEN 'X' ELSE 'Y' END AND CAST(l.a AS INTEGER) = r.id",
  expr_changelogs:
    'SELECT x.id, x.n, y.total FROM (SELECT id, COUNT(*) AS n FROM l GROUP BY id) x FULL JOIN (SELECT id, SUM(b) AS total FROM r GROUP BY id) y ON x.id * 2 = y.id + y.total % 2',
  agg_over_join: 'SELECT l.s, COUNT(*) AS n, SUM(r.b) AS total FROM l JOIN r ON l.id = r.id GROUP BY l.s',
};

async function oracle(sql: string, ls: readonly L[], rs: readonly R[]): Promise<string[]> {
  await duck().run('CREATE OR REPLACE TABLE l (id BIGINT, a BIGINT, s VARCHAR)');
  await duck().run('CREATE OR REPLACE TABLE r (id BIGINT, b BIGINT)');
  const lit = (v: unknown) => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));
  if (ls.length) await duck().run(`INSERT INTO l VALUES ${ls.map((x) => `(${lit(x.id)}, ${x.a}, ${lit(x.s)})`).join(', ')}`);
  if (rs.length) await duck().run(`INSERT INTO r VALUES ${rs.map((x) => `(${lit(x.id)}, ${x.b})`).join(', ')}`);
  return duckRows(duck(), sql);
}

describe('joins equal DuckDB on random interleaved streams', () => {
  for (const [name, sql] of Object.entries(QUERIES)) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(lArb, { maxLength: 25 }), fc.array(rArb, { maxLength: 25 }), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }), async (ls, rs, cuts) => {
          const e = await Engine.open();
          await e.execute('CREATE SOURCE l (id BIGINT, a BIGINT, s VARCHAR); CREATE SOURCE r (id BIGINT, b BIGINT)');
          await e.execute(`CREATE MATERIALIZED VIEW v AS ${sql}`);
          const folded = new Map<string, number>();
          e.subscribe('v', (c) => {
            const k = JSON.stringify(Object.values(c.row));
            folded.set(k, (folded.get(k) ?? 0) + (c.op === '+I' || c.op === '+U' ? 1 : -1));
          });
          await insertAlternating(e, ls, rs, cuts);
          const got = norm(await e.query('SELECT * FROM v'));
          expect(got).toEqual(await oracle(sql, ls, rs));
          const fromChanges = [...folded].flatMap(([k, c]) => Array<string>(c).fill(k)).sort();
          expect(fromChanges).toEqual(got);
          await e.close();
        }),
        { numRuns: 25 },
      );
    }, 120_000);
  }

  it('EXPLAIN shows the join with its keys', async () => {
    const e = await Engine.open();
    await e.execute('CREATE SOURCE l (id BIGINT, a BIGINT, s VARCHAR); CREATE SOURCE r (id BIGINT, b BIGINT)');
    const [plan] = await e.execute('EXPLAIN SELECT l.a, r.b FROM l LEFT JOIN r ON l.id = r.id');
    expect(plan!.rows!.map((r) => r['plan']).join('\n')).toContain('Join: LEFT keys=[id = id]');
    await e.close();
  });
});
