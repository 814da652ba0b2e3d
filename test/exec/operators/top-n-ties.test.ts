/**
 * Top-N with ties (RANK() / DENSE_RANK() … WHERE r <= N) against DuckDB: over random
 * out-of-order streams with many ties on the ORDER BY key (peers at the boundary all in or
 * all out), and over changelogs (GROUP BY counts that move up and down the ranking), fed in
 * random batches. Each view's contents and its folded changelog equal DuckDB's rows.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { duckRows, useDuck } from './duck.js';
import { cutsArb, norm, streamArb, T0 } from './over-harness.js';
import { longStreamArb, rankCheck } from './ranking-harness.js';

const duck = useDuck();
const check = rankCheck(duck);

/** x folded to a few values: ties are common; NULL x stays NULL. */
const TIED = `(SELECT id, k, x % 4 AS y, ts FROM s)`;
/** A changelog: per group g, its count moves up as rows arrive (a -U/+U each time). */
const GROUPS = `(SELECT id % 9 AS g, k, COUNT(*) AS n, MAX(x) AS hi FROM s GROUP BY id % 9, k)`;

const cases: [string, string][] = [
  ['RANK <= 2 per partition, rank selected', `SELECT * FROM (SELECT id, k, y, RANK() OVER (PARTITION BY k ORDER BY y DESC NULLS LAST) AS r FROM ${TIED}) WHERE r <= 2`],
  ['DENSE_RANK <= 2 per partition, rank selected', `SELECT * FROM (SELECT id, k, y, DENSE_RANK() OVER (PARTITION BY k ORDER BY y NULLS FIRST) AS r FROM ${TIED}) WHERE r <= 2`],
  ['RANK = 1, no partition, rank not selected', `SELECT id, y FROM (SELECT id, y, RANK() OVER (ORDER BY y NULLS LAST) AS r FROM ${TIED}) WHERE r = 1`],
  ['DENSE_RANK BETWEEN 1 AND 3 on two keys', `SELECT * FROM (SELECT id, k, y, DENSE_RANK() OVER (ORDER BY y DESC NULLS LAST, k) AS r FROM ${TIED}) WHERE r BETWEEN 1 AND 3`],
  ['RANK < 3 with another condition on the row', `SELECT * FROM (SELECT id, k, y, RANK() OVER (PARTITION BY k ORDER BY y NULLS LAST) AS r FROM ${TIED}) WHERE r < 3 AND id % 2 = 0`],
  ['RANK <= 2 over a changelog (counts that move), per partition', `SELECT * FROM (SELECT g, k, n, RANK() OVER (PARTITION BY k ORDER BY n DESC) AS r FROM ${GROUPS}) WHERE r <= 2`],
  ['DENSE_RANK <= 2 over a changelog, no partition', `SELECT * FROM (SELECT g, k, n, hi, DENSE_RANK() OVER (ORDER BY n DESC, hi NULLS LAST) AS r FROM ${GROUPS}) WHERE r <= 2`],
  ['ROW_NUMBER BETWEEN 2 AND 3 (an offset) over a changelog', `SELECT * FROM (SELECT g, k, n, ROW_NUMBER() OVER (PARTITION BY k ORDER BY n DESC, g) AS r FROM ${GROUPS}) WHERE r BETWEEN 2 AND 3`],
];

describe('Top-N with ties equals DuckDB', () => {
  for (const [name, q] of cases) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(streamArb, cutsArb, async (ev, cuts) => void (await check(q, q, ev, cuts))), { numRuns: 12 });
    }, 120_000);
  }
});

describe('Top-N over longer streams (partitions fill up, rows are pushed out)', () => {
  const long: [string, string][] = [
    ['RANK <= 3 per partition', `SELECT * FROM (SELECT id, k, y, RANK() OVER (PARTITION BY k ORDER BY y DESC NULLS LAST) AS r FROM ${TIED}) WHERE r <= 3`],
    ['DENSE_RANK <= 2 per partition', `SELECT * FROM (SELECT id, k, x, DENSE_RANK() OVER (PARTITION BY k ORDER BY x NULLS LAST) AS r FROM s) WHERE r <= 2`],
    ['ROW_NUMBER <= 4 per partition (Nexmark q19 shape)', `SELECT * FROM (SELECT id, k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC NULLS LAST, id) AS r FROM s) WHERE r <= 4`],
  ];
  for (const [name, q] of long) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(longStreamArb, cutsArb, async (ev, cuts) => void (await check(q, q, ev, cuts))), { numRuns: 6 });
    }, 120_000);
  }
});

describe('Top-N with ties in plans', () => {
  it('RANK and DENSE_RANK with an upper bound plan as TopN(with ties); a lower bound above 1 filters one on the rank', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      const plan = async (q: string) => ((await e.execute(`EXPLAIN ${q}`))[0]!.rows ?? []).map((r) => r['plan']).join('\n');
      const ranked = (fn: string, where: string) => `SELECT * FROM (SELECT id, k, ${fn}() OVER (PARTITION BY k ORDER BY x DESC) AS r FROM s) WHERE ${where}`;
      expect(await plan(ranked('RANK', 'r <= 3'))).toMatch(/TopN\(with ties\): RANK partition=\[k\] order=\[x DESC\] limit=3 rank=/);
      expect(await plan(ranked('DENSE_RANK', 'r BETWEEN 1 AND 2'))).toMatch(/TopN\(with ties\): DENSE_RANK partition=\[k\] order=\[x DESC\] limit=2 rank=/);
      expect(await plan(ranked('RANK', '3 > r'))).toContain('limit=2');
      expect(await plan(ranked('RANK', 'r BETWEEN 2 AND 3'))).toMatch(/Filter: \(RANK\(\) OVER \(PARTITION BY k ORDER BY x DESC\) >= 2\)[^\n]*\n\s*TopN\(with ties\): RANK partition=\[k\] order=\[x DESC\] limit=3 rank=/);
      expect(await plan(ranked('ROW_NUMBER', 'r BETWEEN 2 AND 3'))).toMatch(/TopN: partition=\[k\] order=\[x DESC\] limit=2 offset=1 row_number=/);
    } finally {
      await e.close();
    }
  });
});

describe('Top-N and deduplication reopened from a checkpoint', () => {
  it('continue from their restored rows, twice: each view equals DuckDB over all the events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-topn-'));
    const path = join(dir, 'topn.duckdb');
    const views: Record<string, string> = {
      first: `SELECT * FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts) AS rn FROM s) WHERE rn = 1`,
      last: `SELECT * FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM s) WHERE rn = 1`,
      ties: `SELECT * FROM (SELECT id, k, y, RANK() OVER (PARTITION BY k ORDER BY y DESC NULLS LAST) AS r FROM ${TIED}) WHERE r <= 2`,
      moved: `SELECT * FROM (SELECT g, k, n, DENSE_RANK() OVER (ORDER BY n DESC) AS r FROM ${GROUPS}) WHERE r <= 2`,
      top: `SELECT * FROM (SELECT id, k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC, id) AS rn FROM s) WHERE rn <= 3`,
    };
    // Out of order within the 2 s delay; x repeats so ranks tie.
    const events = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, j) => {
        const i = from + j;
        return { id: i, k: (i * 7) % 3, x: (i * 5) % 6, ts: new Date(T0 + i * 1000 - (i % 2) * 1500) };
      });
    try {
      let e = await Engine.open({ path });
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
      for (const [name, q] of Object.entries(views)) await e.execute(`CREATE MATERIALIZED VIEW ${name} AS ${q}`);
      await e.insert('s', events(0, 14));
      await e.checkpoint();
      await e.close();
      // A second round writes only what changed since the restore.
      e = await Engine.open({ path });
      await e.insert('s', events(14, 27));
      await e.checkpoint();
      await e.close();
      e = await Engine.open({ path });
      await e.insert('s', events(27, 40));
      await e.endOfStream('s');
      const got: Record<string, string[]> = {};
      for (const name of Object.keys(views)) got[name] = norm((await e.query(`SELECT * FROM ${name}`)) as Row[]);
      await e.close();
      await duck().run('CREATE OR REPLACE TABLE s (id BIGINT, k BIGINT, x BIGINT, ts BIGINT)');
      await duck().run(`INSERT INTO s VALUES ${events(0, 40).map((x) => `(${x.id}, ${x.k}, ${x.x}, ${x.ts.getTime()})`).join(', ')}`);
      for (const [name, q] of Object.entries(views)) expect(got[name], name).toEqual(await duckRows(duck(), q, true));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
