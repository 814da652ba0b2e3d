/**
 * IGNORE NULLS on LAG, LEAD, FIRST_VALUE, LAST_VALUE and NTH_VALUE against DuckDB, over random
 * out-of-order streams where half the values are NULL: on an append-only stream (a LAG keeps
 * its partition's last non-NULL values however far back, a LEAD waits for later non-NULL
 * ones) and over changelogs (a change reaches every row whose LAG or LEAD passes over NULLs
 * to it). Also: a LAG across a checkpoint, the standard spelling after the parentheses, and
 * the binder's refusals.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, SluiceError, type Row } from '../../../src/index.js';
import { duckRows, useDuck } from './duck.js';
import { longStream } from './long-stream.js';
import { cutsArb, norm, overCheck, T0 } from './over-harness.js';

const duck = useDuck();
const check = overCheck(duck);
const RUNS = 12;

/** Half the values NULL, three keys. */
const nullyStreamArb = longStream(2, 2);

const appendOnly: [string, string][] = [
  [
    'LAG and LEAD with offsets and defaults',
    `SELECT id, k, LAG(x IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS p1, LAG(x, 3, -1 IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS p3,
       LEAD(x IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS n1, LEAD(x, 2, id IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS n2,
       LAG(x, 0 IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS p0 FROM s`,
  ],
  [
    'FIRST_VALUE, LAST_VALUE and NTH_VALUE over frames before, around and after the row',
    `SELECT id, FIRST_VALUE(x IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING) AS f,
       LAST_VALUE(x IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS l,
       NTH_VALUE(x, 2 IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN CURRENT ROW AND 3 FOLLOWING) AS n FROM s`,
  ],
  [
    'the default frame, IGNORE NULLS beside the same calls respecting them',
    `SELECT id, FIRST_VALUE(x IGNORE NULLS) OVER (ORDER BY ts) AS f, LAST_VALUE(x IGNORE NULLS) OVER (ORDER BY ts) AS l,
       LAST_VALUE(x RESPECT NULLS) OVER (ORDER BY ts) AS lr, NTH_VALUE(x, 3 IGNORE NULLS) OVER (ORDER BY ts) AS n, LAG(x) OVER (ORDER BY ts) AS p FROM s`,
  ],
];

describe('IGNORE NULLS on an append-only stream equals DuckDB', () => {
  for (const [name, q] of appendOnly) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(nullyStreamArb, cutsArb, (ev, cuts) => check(q, q, ev, cuts)), { numRuns: RUNS });
    }, 120_000);
  }

  it('written after the parentheses, as the SQL standard places it', async () => {
    const q = (at: 'in' | 'after') =>
      `SELECT id, ${['LAG(x, 2', 'LEAD(x', 'LAST_VALUE(x']
        .map((c, j) => `${c}${at === 'in' ? ' IGNORE NULLS)' : ') IGNORE NULLS'} OVER (PARTITION BY k ORDER BY ts) AS c${j}`)
        .join(', ')} FROM s`;
    await fc.assert(fc.asyncProperty(nullyStreamArb, cutsArb, (ev, cuts) => check(q('after'), q('in'), ev, cuts)), { numRuns: 4 });
  }, 120_000);
});

/** Rows that come and go: the two largest x (NULLs last) per id % 10. */
const topTwo = `(SELECT * FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY id % 10 ORDER BY x DESC NULLS LAST, id) AS rn FROM s) WHERE rn <= 2)`;
/** Groups whose values change and turn NULL and back. */
const groups = `(SELECT id % 9 AS g, MAX(x) AS hi, COUNT(*) AS n FROM s GROUP BY g)`;

const changelog: [string, string][] = [
  [
    'over a Top-N that retracts: LAG and LEAD across NULLs, FIRST_VALUE over a frame',
    `SELECT id, LAG(x IGNORE NULLS) OVER (ORDER BY ts) AS p, LEAD(x, 2, -1 IGNORE NULLS) OVER (ORDER BY ts) AS n,
       FIRST_VALUE(x IGNORE NULLS) OVER (ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS f FROM ${topTwo}`,
  ],
  [
    'over a GROUP BY that updates: ordered by the count, values that turn NULL',
    `SELECT g, n, LAG(hi IGNORE NULLS) OVER (ORDER BY n, g) AS p, LEAD(hi IGNORE NULLS) OVER (ORDER BY n, g) AS l,
       LAST_VALUE(hi IGNORE NULLS) OVER (ORDER BY n, g ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS lv FROM ${groups}`,
  ],
];

describe('IGNORE NULLS over a changelog equals DuckDB', () => {
  for (const [name, q] of changelog) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(nullyStreamArb, cutsArb, (ev, cuts) => check(q, q, ev, cuts)), { numRuns: RUNS });
    }, 120_000);
  }
});

describe('LAG … IGNORE NULLS reopened from a checkpoint', () => {
  it('keeps the last non-NULL values across a run of NULLs: each view equals DuckDB over all the events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-over-nulls-'));
    const path = join(dir, 'db.duckdb');
    // Apart: a LEAD waiting for a non-NULL value would hold every row after it, the LAG's too.
    const views = {
      lags: `SELECT id, k, LAG(x, 2 IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS p FROM s`,
      leads: `SELECT id, k, LEAD(x IGNORE NULLS) OVER (PARTITION BY k ORDER BY ts) AS n FROM s`,
    };
    // x is NULL for ids 5–24: the LAGs after the checkpoint reach back past it.
    const x = (id: number) => (id >= 5 && id < 25 ? null : (id * 13) % 11);
    const events = (from: number, to: number) => Array.from({ length: to - from }, (_, j) => ({ id: from + j, k: (from + j) % 2, x: x(from + j), ts: new Date(T0 + (from + j) * 1000) }));
    try {
      let e = await Engine.open({ path });
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
      for (const [name, q] of Object.entries(views)) await e.execute(`CREATE MATERIALIZED VIEW ${name} AS ${q}`);
      await e.insert('s', events(0, 18));
      await e.checkpoint();
      await e.close();
      e = await Engine.open({ path });
      await e.insert('s', events(18, 34));
      await e.endOfStream('s');
      const got = await Promise.all(Object.keys(views).map(async (name) => norm((await e.query(`SELECT * FROM ${name}`)) as Row[])));
      await e.close();
      await duck().run('CREATE OR REPLACE TABLE s (id BIGINT, k BIGINT, x BIGINT, ts BIGINT)');
      await duck().run(`INSERT INTO s VALUES ${events(0, 34).map((r) => `(${r.id}, ${r.k}, ${r.x ?? 'NULL'}, ${r.ts.getTime()})`).join(', ')}`);
      expect(got).toEqual(await Promise.all(Object.values(views).map((q) => duckRows(duck(), q, true))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('IGNORE NULLS in a pull query (answered by DuckDB)', () => {
  it('is taken in either place, after the parentheses too', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      await e.execute(`CREATE MATERIALIZED VIEW v AS SELECT id, x FROM s`);
      await e.insert('s', [10, null, null, 40, null].map((x, id) => ({ id, k: 0, x, ts: new Date(T0 + id * 1000) })));
      const inside = await e.query(`SELECT id, LAG(x IGNORE NULLS) OVER (ORDER BY id) AS p, LAST_VALUE(x IGNORE NULLS) OVER (ORDER BY id) AS l FROM v ORDER BY id`);
      const after = await e.query(`SELECT id, LAG(x) IGNORE NULLS OVER (ORDER BY id) AS p, LAST_VALUE(x) /* why */ ignore nulls OVER (ORDER BY id) AS l FROM v ORDER BY id`);
      expect(inside.map((r) => [r['p'], r['l']])).toEqual([
        [null, 10],
        [10, 10],
        [10, 10],
        [10, 40],
        [40, 40],
      ]);
      expect(after).toEqual(inside);
    } finally {
      await e.close();
    }
  });
});

describe('IGNORE NULLS mistakes', () => {
  it('are BIND errors at the clause', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      const fail = async (sql: string): Promise<SluiceError> => {
        const err = await e.execute(sql).then(
          () => null,
          (x: unknown) => x,
        );
        expect(err).toBeInstanceOf(SluiceError);
        return err as SluiceError;
      };
      const sum = await fail(`SELECT SUM(x IGNORE NULLS) OVER (ORDER BY ts) FROM s`);
      expect([sum.code, sum.message, sum.line, sum.column]).toEqual(['BIND', 'IGNORE NULLS applies to LAG, LEAD, FIRST_VALUE, LAST_VALUE and NTH_VALUE, not to SUM', 1, 14]);
      const rank = await fail(`SELECT ROW_NUMBER() RESPECT NULLS OVER (ORDER BY ts) FROM s`);
      expect([rank.code, rank.column]).toEqual(['BIND', 21]);
      expect(rank.message).toContain('RESPECT NULLS applies to LAG');
      const twice = await fail(`SELECT LAG(x IGNORE NULLS) IGNORE NULLS OVER (ORDER BY ts) FROM s`);
      expect([twice.code, twice.column]).toEqual(['BIND', 28]);
      expect(twice.message).toContain('given twice');
      const bare = await fail(`SELECT LAG(x IGNORE NULLS) FROM s`);
      expect(bare.message).toContain('needs an OVER');
    } finally {
      await e.close();
    }
  });

  it('leave IGNORE and RESPECT usable as names', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE s (ignore BIGINT, respect BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      const [r] = await e.execute(`SELECT ignore + respect AS ignore, LAG(ignore) OVER (ORDER BY ts) respect FROM s`);
      expect(r!.columns!.map((c) => c.name)).toEqual(['ignore', 'respect']);
    } finally {
      await e.close();
    }
  });
});
