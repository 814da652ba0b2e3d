/**
 * Deduplication (ROW_NUMBER() OVER (PARTITION BY key ORDER BY event time [DESC]) … = 1)
 * against DuckDB over random out-of-order streams fed in random batches: keep=first is
 * append-only (each key emitted once, never retracted), keep=last a changelog of -U/+U
 * pairs, and both fold to DuckDB's rows. Event times are unique, so "first" is defined.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';
import { useDuck } from './duck.js';
import { cutsArb, streamArb, T0 } from './over-harness.js';
import { longStreamArb, rankCheck } from './ranking-harness.js';

const duck = useDuck();
const check = rankCheck(duck);

const dedup = (order: string, part = 'k', where = 'rn = 1') =>
  `SELECT * FROM (SELECT id, k, x, ts, ROW_NUMBER() OVER (PARTITION BY ${part} ORDER BY ${order}) AS rn FROM s) WHERE ${where}`;

describe('keep the first row per key (ORDER BY event time ASC)', () => {
  it('equals DuckDB; the changelog is one +I per key, never retracted', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, cutsArb, fc.constantFrom('k', 'id % 7', 'k, x'), async (ev, cuts, part) => {
        const run = await check(dedup('ts', part), dedup('ts', part), ev, cuts);
        expect(run.changes.every((c) => c.op === '+I')).toBe(true);
        expect(run.changes.length).toBe(run.folded.length);
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('without the row number, and written rn <= 1 or rn < 2', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, cutsArb, fc.constantFrom('rn <= 1', 'rn < 2', '1 >= rn'), async (ev, cuts, where) => {
        const q = `SELECT id, k, ts FROM (SELECT id, k, ts, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts) AS rn FROM s) WHERE ${where}`;
        const run = await check(q, q, ev, cuts);
        expect(run.changes.every((c) => c.op === '+I')).toBe(true);
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});

describe('keep the last row per key (ORDER BY event time DESC)', () => {
  it('equals DuckDB; a later row replaces the kept one with -U/+U', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, cutsArb, fc.constantFrom('k', 'id % 5'), async (ev, cuts, part) => {
        const run = await check(dedup('ts DESC', part), dedup('ts DESC', part), ev, cuts);
        // Every retraction is a -U directly followed by the +U of the same key.
        run.changes.forEach((c, i) => {
          if (c.op === '-U') expect(run.changes[i + 1]?.op).toBe('+U');
          expect(c.op === '-D').toBe(false);
        });
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('feeds a Top-N with ties over its changelog (the kept rows move)', async () => {
    const q = `SELECT * FROM (SELECT k, x, RANK() OVER (ORDER BY x DESC NULLS LAST) AS r FROM (${dedup('ts DESC')})) WHERE r <= 2`;
    await fc.assert(fc.asyncProperty(streamArb, cutsArb, async (ev, cuts) => void (await check(q, q, ev, cuts))), { numRuns: 25 });
  }, 120_000);
});

describe('deduplication over longer streams (many rows per key)', () => {
  it('keep=first and keep=last equal DuckDB', async () => {
    await fc.assert(
      fc.asyncProperty(longStreamArb, cutsArb, fc.constantFrom('ts', 'ts DESC'), async (ev, cuts, order) => void (await check(dedup(order), dedup(order), ev, cuts))),
      { numRuns: 8 },
    );
  }, 120_000);
});

describe('deduplication by example', () => {
  const at = (s: number) => new Date(T0 + s * 1000);
  it('keep=first waits for the watermark, then emits once; a late earlier row is recorded, not emitted', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
      await e.execute(`CREATE MATERIALIZED VIEW v AS ${dedup('ts')}`);
      const seen: string[] = [];
      e.subscribe('v', (c) => seen.push(`${c.op} ${c.row['id']}`));
      await e.insert('s', [{ id: 1, k: 1, x: 0, ts: at(10) }, { id: 2, k: 1, x: 0, ts: at(9) }]);
      expect(await e.query('SELECT id FROM v')).toEqual([]);
      await e.insert('s', [{ id: 3, k: 2, x: 0, ts: at(20) }]);
      expect((await e.query('SELECT id FROM v')).map((r) => Number(r['id']))).toEqual([2]);
      // Watermark 18 s: k=1's first row (9 s) went out; id 4 at 8 s comes too late for it.
      await e.insert('s', [{ id: 4, k: 1, x: 0, ts: at(8) }, { id: 5, k: 1, x: 0, ts: at(19) }]);
      await e.endOfStream('s');
      expect((await e.query('SELECT id FROM v ORDER BY id')).map((r) => Number(r['id']))).toEqual([2, 3]);
      expect(seen).toEqual(['+I 2', '+I 3']);
      const late = await e.query(`SELECT "view", "row" FROM sluice_late_events`);
      expect(late.length).toBe(1);
      expect(JSON.parse(late[0]!['row'] as string)['id']).toBe(4);
    } finally {
      await e.close();
    }
  });

  it('plans as Deduplicate (keep=first is append-only); a changelog input stays a TopN', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      const plan = async (q: string) => ((await e.execute(`EXPLAIN ${q}`))[0]!.rows ?? []).map((r) => r['plan']).join('\n');
      expect(await plan(dedup('ts'))).toMatch(/Deduplicate: keep=first partition=\[k\] order=\[ts\] row_number=.*append-only/);
      expect(await plan(dedup('ts DESC'))).toContain('Deduplicate: keep=last partition=[k] order=[ts DESC]');
      // Ordered by a value, not by event time: a Top-N of one row.
      expect(await plan(dedup('x'))).toContain('TopN: partition=[k] order=[x] limit=1');
      const overGroups = `SELECT * FROM (SELECT k, t, ROW_NUMBER() OVER (PARTITION BY k ORDER BY t) AS rn FROM (SELECT k, MAX(ts) AS t FROM s GROUP BY k)) WHERE rn = 1`;
      expect(await plan(overGroups)).not.toContain('Deduplicate');
    } finally {
      await e.close();
    }
  });
});
