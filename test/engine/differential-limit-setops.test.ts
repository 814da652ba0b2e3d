/**
 * `ORDER BY … LIMIT n OFFSET m` and the set operations UNION, INTERSECT, EXCEPT (with and
 * without ALL) as streaming views (SPEC 3): over random, out-of-order rows and over
 * changelogs (GROUP BY views, whose groups enter, change and leave), each view's final
 * contents equal DuckDB's batch SQL over the same rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, type Change } from '../../src/index.js';
import { runInputArb, useDifferential, type Case } from './differential-harness.js';
import { assertSameRows, readViews, runs, sourceSql, T0 } from './oracle.js';

const differential = useDifferential();
const { check, property } = differential;

/** A changelog: per (k, v) group, its count and sum change as rows arrive. */
const GROUPS = (t: string) => `(SELECT k, v, COUNT(*) AS n, SUM(x) AS total FROM ${t} GROUP BY k, v)`;

const LIMIT_CASES: Case[] = [
  {
    name: 'l_offset_rows',
    sql: `SELECT k, x, ts, b FROM s ORDER BY x DESC NULLS LAST, ts, k, b LIMIT 4 OFFSET 3`,
    oracle: `SELECT k, x, ts, b FROM t ORDER BY x DESC NULLS LAST, ts, k, b LIMIT 4 OFFSET 3`,
  },
  {
    name: 'l_offset_zero_limit',
    sql: `SELECT k, x, ts FROM s ORDER BY ts, x, k LIMIT 0 OFFSET 2`,
    oracle: `SELECT k, x, ts FROM t ORDER BY ts, x, k LIMIT 0 OFFSET 2`,
  },
  {
    // Over a changelog: a group that moves up or down shifts the rows at ranks m+1..m+n.
    name: 'l_offset_changelog',
    sql: `SELECT k, v, n, total FROM ${GROUPS('s')} ORDER BY n DESC, total DESC NULLS LAST, k, v LIMIT 3 OFFSET 2`,
    oracle: `SELECT k, v, n, total FROM ${GROUPS('t')} ORDER BY n DESC, total DESC NULLS LAST, k, v LIMIT 3 OFFSET 2`,
  },
  {
    name: 'l_offset_big',
    sql: `SELECT k, v, n FROM ${GROUPS('s')} ORDER BY k NULLS FIRST, v NULLS FIRST LIMIT 100 OFFSET 5`,
    oracle: `SELECT k, v, n FROM ${GROUPS('t')} ORDER BY k NULLS FIRST, v NULLS FIRST LIMIT 100 OFFSET 5`,
  },
];

/** Per k, its row count: a changelog whose rows enter and leave a `WHERE n …` filter. */
const COUNTS = (t: string) => `(SELECT k, COUNT(*) AS n FROM ${t} GROUP BY k)`;

const SETOP_CASES: Case[] = [
  {
    name: 's_intersect',
    sql: `SELECT k, v FROM s WHERE x > 10 INTERSECT SELECT k, v FROM s WHERE b > 0`,
    oracle: `SELECT k, v FROM t WHERE x > 10 INTERSECT SELECT k, v FROM t WHERE b > 0`,
  },
  {
    name: 's_intersect_all',
    sql: `SELECT k, v FROM s WHERE x > 10 INTERSECT ALL SELECT k, v FROM s WHERE b > 0`,
    oracle: `SELECT k, v FROM t WHERE x > 10 INTERSECT ALL SELECT k, v FROM t WHERE b > 0`,
  },
  {
    name: 's_except',
    sql: `SELECT k FROM s EXCEPT SELECT v FROM s WHERE x > 20`,
    oracle: `SELECT k FROM t EXCEPT SELECT v FROM t WHERE x > 20`,
  },
  {
    // INT and BIGINT sides: the common type decides which rows are equal.
    name: 's_except_all',
    sql: `SELECT x FROM s EXCEPT ALL SELECT b FROM s`,
    oracle: `SELECT x FROM t EXCEPT ALL SELECT b FROM t`,
  },
  {
    // Rows enter and leave both sides: a k with 2 or 3 rows is in, then out when it gets a 4th.
    name: 's_except_changelog',
    sql: `SELECT k FROM ${COUNTS('s')} WHERE n BETWEEN 2 AND 3 EXCEPT SELECT k FROM ${COUNTS('s')} WHERE n = 3`,
    oracle: `SELECT k FROM ${COUNTS('t')} WHERE n BETWEEN 2 AND 3 EXCEPT SELECT k FROM ${COUNTS('t')} WHERE n = 3`,
  },
  {
    name: 's_except_all_changelog',
    sql: `SELECT n FROM ${GROUPS('s')} EXCEPT ALL SELECT n FROM ${COUNTS('s')} WHERE n > 1`,
    oracle: `SELECT n FROM ${GROUPS('t')} EXCEPT ALL SELECT n FROM ${COUNTS('t')} WHERE n > 1`,
  },
  {
    name: 's_intersect_all_changelog',
    sql: `SELECT n FROM ${GROUPS('s')} INTERSECT ALL SELECT n FROM ${COUNTS('s')} WHERE n <= 3`,
    oracle: `SELECT n FROM ${GROUPS('t')} INTERSECT ALL SELECT n FROM ${COUNTS('t')} WHERE n <= 3`,
  },
  {
    name: 's_union_changelog',
    sql: `SELECT k, n FROM ${COUNTS('s')} WHERE n < 3 UNION SELECT v, n FROM ${GROUPS('s')} UNION SELECT k, 1 FROM s WHERE x > 50`,
    oracle: `SELECT k, n FROM ${COUNTS('t')} WHERE n < 3 UNION SELECT v, n FROM ${GROUPS('t')} UNION SELECT k, 1 FROM t WHERE x > 50`,
  },
  {
    // INTERSECT binds tighter than UNION and EXCEPT; those associate to the left.
    name: 's_precedence',
    sql: `SELECT k FROM s WHERE x > 0 EXCEPT SELECT v FROM s WHERE b > 0 UNION SELECT v FROM s WHERE d > 0 INTERSECT SELECT k FROM s WHERE x < 50`,
    oracle: `SELECT k FROM t WHERE x > 0 EXCEPT SELECT v FROM t WHERE b > 0 UNION SELECT v FROM t WHERE d > 0 INTERSECT SELECT k FROM t WHERE x < 50`,
  },
  {
    name: 's_limit_offset_of_except',
    sql: `SELECT k, v FROM s EXCEPT SELECT k, v FROM s WHERE x > 30 ORDER BY k NULLS FIRST, v NULLS FIRST LIMIT 3 OFFSET 1`,
    oracle: `SELECT k, v FROM t EXCEPT SELECT k, v FROM t WHERE x > 30 ORDER BY k NULLS FIRST, v NULLS FIRST LIMIT 3 OFFSET 1`,
  },
];

const streams = runInputArb(fc.constantFrom(0, 1000, 3000), { nullKeys: true, maxLength: 120 });

describe('UNION, INTERSECT, EXCEPT [ALL] equal DuckDB over the same rows', () => {
  it('over no rows', async () => {
    await check(SETOP_CASES, [], [1], 1000);
  });
  it('over the source and over changelogs whose rows enter and leave', async () => {
    await property(SETOP_CASES, streams, runs(4));
  });
});

describe('LIMIT … OFFSET equals DuckDB over the same rows', () => {
  it('over no rows', async () => {
    await check(LIMIT_CASES, [], [1], 1000);
  });
  it('over the source and over a changelog', async () => {
    await property(LIMIT_CASES, streams, runs(4));
  });
});

const ev = (k: string, s: number, x: number | null = 1) => ({ k, x, ts: new Date(T0 + s * 1000) });

describe('change shapes, by example', () => {

  it('EXCEPT: a row enters (+I), stays through changes of its counts (nothing), and leaves (-D) when the right side gets it', async () => {
    const engine = await Engine.open();
    try {
      await engine.execute(sourceSql(0));
      await engine.execute(`CREATE MATERIALIZED VIEW e AS SELECT k FROM s WHERE x > 0 EXCEPT SELECT k FROM s WHERE x < 0`);
      await engine.execute(`CREATE MATERIALIZED VIEW ea AS SELECT k FROM s WHERE x > 0 EXCEPT ALL SELECT k FROM s WHERE x < 0`);
      const e: Change[] = [];
      const ea: Change[] = [];
      engine.subscribe('e', (c) => e.push(c));
      engine.subscribe('ea', (c) => ea.push(c));
      await engine.insert('s', [ev('a', 1, 5)]);
      expect(e.splice(0)).toEqual([{ op: '+I', row: { k: 'a' } }]);
      expect(ea.splice(0)).toEqual([{ op: '+I', row: { k: 'a' } }]);
      await engine.insert('s', [ev('a', 2, 6), ev('a', 3, 7)]);
      expect(e.splice(0)).toEqual([]);
      expect(ea.splice(0)).toEqual([
        { op: '+I', row: { k: 'a' } },
        { op: '+I', row: { k: 'a' } },
      ]);
      await engine.insert('s', [ev('a', 4, -1)]);
      expect(e.splice(0)).toEqual([{ op: '-D', row: { k: 'a' } }]);
      expect(ea.splice(0)).toEqual([{ op: '-D', row: { k: 'a' } }]);
    } finally {
      await engine.close();
    }
  });

  it('LIMIT 1 OFFSET 1: a row that sorts first pushes the old first row into the result', async () => {
    const engine = await Engine.open();
    try {
      await engine.execute(sourceSql(0));
      await engine.execute(`CREATE MATERIALIZED VIEW o AS SELECT k, x FROM s ORDER BY x LIMIT 1 OFFSET 1`);
      const o: Change[] = [];
      engine.subscribe('o', (c) => o.push(c));
      await engine.insert('s', [ev('a', 1, 5)]);
      expect(o.splice(0)).toEqual([]);
      await engine.insert('s', [ev('b', 2, 9)]);
      expect(o.splice(0)).toEqual([{ op: '+I', row: { k: 'b', x: 9 } }]);
      await engine.insert('s', [ev('c', 3, 1)]);
      expect(o.splice(0)).toEqual([
        { op: '-D', row: { k: 'b', x: 9 } },
        { op: '+I', row: { k: 'a', x: 5 } },
      ]);
    } finally {
      await engine.close();
    }
  });
});

describe('state survives a checkpoint and a reopen', () => {
  it('FILTER, OFFSET and EXCEPT ALL views go on from their restored counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-setops-'));
    const path = join(dir, 'state.duckdb');
    const views = [
      ['f', `SELECT k, COUNT(*) FILTER (WHERE x > 0) AS pos, SUM(x) FILTER (WHERE x < 0) AS neg FROM s GROUP BY k`],
      ['o', `SELECT k, x FROM s ORDER BY x, k LIMIT 2 OFFSET 1`],
      ['e', `SELECT k FROM s WHERE x > 0 EXCEPT ALL SELECT k FROM s WHERE x < 0`],
    ] as const;
    const first = [ev('a', 1, 5), ev('a', 2, -1), ev('b', 3, 2), ev('a', 4, 3)];
    const second = [ev('b', 5, -4), ev('c', 6, 1), ev('a', 7, -2)];
    try {
      let engine = await Engine.open({ path });
      await engine.execute(sourceSql(0));
      for (const [name, sql] of views) await engine.execute(`CREATE MATERIALIZED VIEW ${name} AS ${sql}`);
      await engine.insert('s', first);
      await engine.execute('CHECKPOINT');
      await engine.close();
      engine = await Engine.open({ path });
      await engine.insert('s', second);
      const got = await readViews(engine, views.map((v) => v[0]));
      await engine.close();
      await differential.oracle.load([...first, ...second].map((e) => ({ k: e.k, x: e.x, b: null, d: null, v: null, ts: e.ts.getTime() })));
      for (const [name, sql] of views) {
        assertSameRows(got.get(name)!, await differential.oracle.rows(sql.replaceAll(' s ', ' t ').replace(/ s$/, ' t')), name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
