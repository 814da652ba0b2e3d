/**
 * A join outputs only the columns read above it (JoinNode.output): the columns it reads
 * itself (keys, residual) are kept in its state but not gathered into its output. Each
 * query here outputs a subset of columns of mixed types at positions other than their
 * input ones, over inner, outer (NULL padding of only the output columns) and changelog
 * joins, with residual conditions on columns left out of the output; a column gathered
 * from the wrong position would differ in type or value from DuckDB's result.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';
import { duckRows, insertAlternating, normRows as norm, useDuck } from './duck.js';

interface L {
  readonly id: number | null;
  readonly s: string | null;
  readonly a: number;
  readonly flag: boolean | null;
}
interface R {
  readonly k: number | null;
  readonly name: string | null;
  readonly n: number;
  readonly b: number;
}

const key = fc.option(fc.integer({ min: 0, max: 4 }), { nil: null, freq: 6 });
const lArb = fc.record({
  id: key,
  s: fc.option(fc.constantFrom('x', 'yy', 'zzz'), { nil: null }),
  a: fc.integer({ min: 0, max: 9 }).map((x) => x / 2),
  flag: fc.option(fc.boolean(), { nil: null }),
});
const rArb = fc.record({
  k: key,
  name: fc.option(fc.constantFrom('p', 'qq'), { nil: null }),
  n: fc.integer({ min: 0, max: 5 }),
  b: fc.integer({ min: -3, max: 3 }),
});

const duck = useDuck();

const QUERIES: Record<string, string> = {
  // Right then left columns read, keys and the residual's columns (a, n) not output.
  full_residual_unread: 'SELECT r.name, l.flag, l.s FROM l FULL JOIN r ON l.id = r.k AND l.a < r.n',
  // A residual on columns output too, and on one that is not (r.name).
  left_residual_mixed: 'SELECT r.n + 1 AS n1, l.s, l.a FROM l LEFT JOIN r ON l.id = r.k AND (r.name IS NULL OR l.s <> r.name)',
  // Only right columns: the left side's padding has no column in the output.
  right_only_right: 'SELECT r.b, r.k FROM l RIGHT JOIN r ON l.id = r.k AND l.flag',
  // No column read at all above the join.
  count_inner: 'SELECT COUNT(*) AS c FROM l JOIN r ON l.id = r.k',
  count_left: 'SELECT COUNT(*) AS c, COUNT(r.name) AS named, SUM(r.b) AS total FROM l LEFT JOIN r ON l.id = r.k AND r.n > l.a',
  cross_filtered: 'SELECT l.s, r.name FROM l CROSS JOIN r WHERE l.a = r.n AND r.b > 0',
  // No left column is read: the left side has no columns, and the condition's right columns
  // start at position 0 too (found by the query fuzzer; it read them from the left batch).
  no_left_columns: 'SELECT r.b FROM l JOIN r ON r.n > 1',
  no_left_columns_outer: 'SELECT r.b, r.name FROM l RIGHT JOIN r ON r.n > 1 OR r.name IS NULL',
  // Changelog inputs: retractions take back pairs whose output columns are a subset.
  changelogs:
    'SELECT x.s, y.total FROM (SELECT s, MAX(id) AS id, SUM(a) AS sa FROM l GROUP BY s) x FULL JOIN (SELECT k, SUM(b) AS total, MIN(n) AS mn FROM r GROUP BY k) y ON x.id = y.k AND x.sa >= y.mn',
};

async function oracle(sql: string, ls: readonly L[], rs: readonly R[]): Promise<string[]> {
  await duck().run('CREATE OR REPLACE TABLE l (id BIGINT, s VARCHAR, a DOUBLE, flag BOOLEAN)');
  await duck().run('CREATE OR REPLACE TABLE r (k BIGINT, name VARCHAR, n INTEGER, b BIGINT)');
  const lit = (v: unknown) => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));
  if (ls.length) await duck().run(`INSERT INTO l VALUES ${ls.map((x) => `(${lit(x.id)}, ${lit(x.s)}, ${x.a}, ${lit(x.flag)})`).join(', ')}`);
  if (rs.length) await duck().run(`INSERT INTO r VALUES ${rs.map((x) => `(${lit(x.k)}, ${lit(x.name)}, ${x.n}, ${x.b})`).join(', ')}`);
  return duckRows(duck(), sql, true);
}

const SOURCES = 'CREATE SOURCE l (id BIGINT, s VARCHAR, a DOUBLE, flag BOOLEAN); CREATE SOURCE r (k BIGINT, name VARCHAR, n INT, b BIGINT)';

describe('a join outputs only the columns read above it', () => {
  for (const [name, sql] of Object.entries(QUERIES)) {
    it(`${name} equals DuckDB`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(lArb, { maxLength: 20 }), fc.array(rArb, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }), async (ls, rs, cuts) => {
          const e = await Engine.open();
          await e.execute(SOURCES);
          await e.execute(`CREATE MATERIALIZED VIEW v AS ${sql}`);
          const folded = new Map<string, number>();
          e.subscribe('v', (c) => {
            const k = norm([c.row], true)[0]!;
            folded.set(k, (folded.get(k) ?? 0) + (c.op === '+I' || c.op === '+U' ? 1 : -1));
          });
          await insertAlternating(e, ls, rs, cuts);
          const got = norm(await e.query('SELECT * FROM v'), true);
          expect(got).toEqual(await oracle(sql, ls, rs));
          expect([...folded].flatMap(([k, c]) => Array<string>(c).fill(k)).sort()).toEqual(got);
          await e.close();
        }),
        { numRuns: 25 },
      );
    }, 120_000);
  }

  it('EXPLAIN names the columns the join outputs, and the side of a name both sides have', async () => {
    const e = await Engine.open();
    await e.execute(SOURCES);
    const text = async (sql: string) => ((await e.execute(`EXPLAIN ${sql}`))[0]!.rows ?? []).map((r) => r['plan']).join('\n');
    expect(await text(QUERIES['full_residual_unread']!)).toContain('Join: FULL keys=[id = k] condition=(l.a < CAST(r.n AS DOUBLE)) output=[s, flag, name]');
    expect(await text(QUERIES['right_only_right']!)).toContain('output=[k, b]');
    expect(await text('SELECT l1.s, l2.id FROM l l1 JOIN l l2 ON l1.id = l2.id')).toContain('output=[s, right.id]');
    // Every column read: no output list, the plan as before.
    expect(await text('SELECT * FROM l JOIN r ON l.id = r.k')).not.toContain('output=');
    await e.close();
  });
});
