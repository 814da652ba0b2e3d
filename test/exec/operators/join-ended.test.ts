/**
 * A join one of whose inputs has ended (endOfStream: its watermark is +∞): the other side's
 * rows can meet no future row, so they are dropped and later ones only probe. The view must
 * still equal DuckDB's join over all rows (every join kind, a residual condition, a changelog
 * on the side that goes on, whose retractions take back pairs of rows no longer stored), its
 * changelog must fold to it, and the join's state must fall to the ended side's rows — also
 * after a checkpoint and a restart in the middle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';
import { Fold } from '../../engine/oracle.js';
import { duckRows, normRows as norm, useDuck } from './duck.js';

interface L {
  readonly id: number | null;
  readonly a: number;
}
interface R {
  readonly id: number | null;
  readonly b: number;
}

const lArb = fc.record({ id: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 6 }), a: fc.integer({ min: 0, max: 9 }) });
const rArb = fc.record({ id: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 6 }), b: fc.integer({ min: 0, max: 9 }) });

const duck = useDuck();

/** Plain joins: the join holds all the state, so its size is checked. */
const JOINS: Record<string, string> = {
  inner: 'SELECT l.id, l.a, r.b FROM l JOIN r ON l.id = r.id',
  left: 'SELECT l.id, l.a, r.id AS rid, r.b FROM l LEFT JOIN r ON l.id = r.id',
  right: 'SELECT l.a, r.id, r.b FROM l RIGHT JOIN r ON l.id = r.id',
  full: 'SELECT l.id, l.a, r.id AS rid, r.b FROM l FULL JOIN r ON l.id = r.id',
  residual_full: 'SELECT l.a, r.b FROM l FULL JOIN r ON l.id = r.id AND l.a + r.b > 8',
};
/** The side that goes on is a changelog (an aggregate): its retractions meet the ended side only. */
const CHANGELOGS: Record<string, string> = {
  changelog_left: 'SELECT x.id, x.n, r.b FROM (SELECT id, COUNT(*) AS n FROM l GROUP BY id) x LEFT JOIN r ON x.id = r.id',
  changelog_full: 'SELECT x.id, x.n, y.t FROM (SELECT id, COUNT(*) AS n FROM l GROUP BY id) x FULL JOIN (SELECT id, SUM(b) AS t FROM r GROUP BY id) y ON x.id = y.id',
};

async function oracle(sql: string, ls: readonly L[], rs: readonly R[]): Promise<string[]> {
  await duck().run('CREATE OR REPLACE TABLE l (id BIGINT, a BIGINT)');
  await duck().run('CREATE OR REPLACE TABLE r (id BIGINT, b BIGINT)');
  const lit = (v: number | null) => (v === null ? 'NULL' : String(v));
  if (ls.length) await duck().run(`INSERT INTO l VALUES ${ls.map((x) => `(${lit(x.id)}, ${x.a})`).join(', ')}`);
  if (rs.length) await duck().run(`INSERT INTO r VALUES ${rs.map((x) => `(${lit(x.id)}, ${x.b})`).join(', ')}`);
  return duckRows(duck(), sql);
}

const SOURCES = 'CREATE SOURCE l (id BIGINT, a BIGINT); CREATE SOURCE r (id BIGINT, b BIGINT)';

/** Inserts `rows` into `source` in slices of the sizes `cuts` cycles through. */
async function insertCut(e: Engine, source: string, rows: readonly object[], cuts: readonly number[]): Promise<void> {
  for (let at = 0, k = 0; at < rows.length; k++) {
    const n = cuts[k % cuts.length]!;
    await e.insert(source, rows.slice(at, (at += n)));
  }
}

describe('a join whose one input has ended equals DuckDB and stores only that side', () => {
  for (const [name, sql] of Object.entries({ ...JOINS, ...CHANGELOGS })) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(lArb, { maxLength: 25 }),
          fc.array(rArb, { maxLength: 25 }),
          fc.nat(25),
          fc.boolean(),
          fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
          async (ls, rs, split, leftEnds, cuts) => {
            // The ended side's rows all come before its end; the other side's both before and after it.
            const [ending, going] = leftEnds ? (['l', 'r'] as const) : (['r', 'l'] as const);
            const endingRows = leftEnds ? ls : rs;
            const goingRows = leftEnds ? rs : ls;
            const cut = Math.min(split, goingRows.length);
            const e = await Engine.open();
            await e.execute(SOURCES);
            await e.execute(`CREATE MATERIALIZED VIEW v AS ${sql}`);
            const fold = new Fold();
            e.subscribe('v', (c) => fold.apply(c));
            await insertCut(e, going, goingRows.slice(0, cut), cuts);
            await insertCut(e, ending, endingRows, cuts);
            await e.endOfStream(ending);
            if (name in JOINS) expect(e.metrics().stateSize).toBe(endingRows.length);
            await insertCut(e, going, goingRows.slice(cut), cuts);
            if (name in JOINS) expect(e.metrics().stateSize).toBe(endingRows.length);
            const got = norm(await e.query('SELECT * FROM v'));
            expect(got).toEqual(await oracle(sql, ls, rs));
            expect(norm(fold.rows())).toEqual(got);
            await e.close();
          },
        ),
        { numRuns: 20 },
      );
    }, 120_000);
  }

  it('both inputs ended: nothing is stored', async () => {
    const e = await Engine.open();
    await e.execute(SOURCES);
    await e.execute(`CREATE MATERIALIZED VIEW v AS ${JOINS['full']}`);
    await e.insert('l', [{ id: 1, a: 1 }, { id: 2, a: 2 }]);
    await e.insert('r', [{ id: 1, b: 5 }]);
    expect(e.metrics().stateSize).toBe(3);
    await e.endOfStream('l');
    expect(e.metrics().stateSize).toBe(2);
    await e.endOfStream('r');
    expect(e.metrics().stateSize).toBe(0);
    expect(norm(await e.query('SELECT * FROM v'))).toEqual(norm([{ id: 1, a: 1, rid: 1, b: 5 }, { id: 2, a: 2, rid: null, b: null }]));
    await e.close();
  });
});

describe('the ended fact survives a checkpoint', () => {
  it('restarted after one input ended (and before), the join equals DuckDB and stores only the ended side', async () => {
    const ls: L[] = Array.from({ length: 40 }, (_, i) => ({ id: i % 7 === 0 ? null : i % 5, a: i % 10 }));
    const rs: R[] = Array.from({ length: 12 }, (_, i) => ({ id: i % 6, b: (i * 7) % 10 }));
    const dir = mkdtempSync(join(tmpdir(), 'sluice-join-ended-'));
    try {
      for (const [name, sql] of Object.entries({ ...JOINS, ...CHANGELOGS })) {
        for (const restartBeforeEnd of [false, true]) {
          const path = join(dir, `${name}-${restartBeforeEnd}.duckdb`);
          let e = await Engine.open({ path });
          await e.execute(SOURCES);
          await e.execute(`CREATE MATERIALIZED VIEW v AS ${sql}`);
          await e.insert('l', ls.slice(0, 15));
          await e.insert('r', rs);
          if (restartBeforeEnd) {
            await e.checkpoint();
            await e.close();
            e = await Engine.open({ path });
          }
          await e.endOfStream('r');
          await e.insert('l', ls.slice(15, 25));
          await e.checkpoint();
          await e.close();
          e = await Engine.open({ path });
          if (name in JOINS) expect(e.metrics().stateSize, name).toBe(rs.length);
          await e.insert('l', ls.slice(25));
          if (name in JOINS) expect(e.metrics().stateSize, name).toBe(rs.length);
          expect(norm(await e.query('SELECT * FROM v')), name).toEqual(await oracle(sql, ls, rs));
          await e.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
