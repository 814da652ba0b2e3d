/**
 * A subplan that occurs twice in one query (q5 joins two copies of the same HOP counts) runs
 * once and feeds both places. Each place must see what its own copy would have sent: on
 * random on-time streams the views equal DuckDB's batch result, also across a reopen from
 * a checkpoint, and the repeated aggregate exists once in the pipeline.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/index.js';
import { Pipeline } from '../../src/exec/pipeline.js';
import { bind, catalogWith } from '../plan/helpers.js';
import { duckRows, feedInterleaved, normRows as norm, onTimeEvents, useDuck, type KeyedEvent } from './operators/duck.js';

const T0 = Date.UTC(2024, 0, 1);
const DELAY = 2000;

const COUNTS = `(SELECT k, COUNT(*) AS n, window_start AS ws, window_end AS we
  FROM HOP(a, ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND) GROUP BY k, window_start, window_end)`;
const DUCK_COUNTS = `(SELECT k, COUNT(*) AS n, w.ws, w.ws + INTERVAL '3 seconds' AS we
  FROM a, (SELECT unnest(range(time_bucket(INTERVAL '1 second', ts) - INTERVAL '2 seconds', ts + INTERVAL '1 millisecond', INTERVAL '1 second')) AS ws) w
  GROUP BY k, w.ws)`;

/** Per case: the view's query (DuckDB's is the same with the windows spelled out). */
const QUERIES: Record<string, string> = {
  // q5's shape: each window's groups with the most rows.
  hot_items: `SELECT c.k, c.n, c.we FROM ${COUNTS} c JOIN (SELECT MAX(n) AS mx, ws, we FROM ${COUNTS} x GROUP BY ws, we) m
    ON c.ws = m.ws AND c.we = m.we AND c.n >= m.mx`,
  self_join: `SELECT c.k, c.n, d.n AS n2, c.we FROM ${COUNTS} c JOIN ${COUNTS} d ON c.we = d.we AND c.k < d.k`,
  union: `SELECT k, n, we FROM ${COUNTS} u UNION ALL SELECT k, n, we FROM ${COUNTS} v WHERE n > 1`,
};

const duck = useDuck();

async function oracle(sql: string, evs: readonly KeyedEvent[]): Promise<string[]> {
  await duck().run('CREATE OR REPLACE TABLE a (k BIGINT, ts TIMESTAMP)');
  if (evs.length) await duck().run(`INSERT INTO a VALUES ${evs.map((e) => `(${e.k}, epoch_ms(${e.ts}))`).join(', ')}`);
  return duckRows(duck(), sql.replaceAll(COUNTS, DUCK_COUNTS));
}

const SOURCE = `CREATE SOURCE a (k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '${DELAY}' MILLISECOND);`;

describe('a subplan that occurs twice runs once', () => {
  it('builds the repeated aggregate once, reading its source once', () => {
    const catalog = catalogWith();
    const counts = `(SELECT auction, COUNT(*) AS n, window_end AS we FROM HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end)`;
    const b = bind(`SELECT c.auction FROM ${counts} c JOIN (SELECT MAX(n) AS mx, we FROM ${counts} x GROUP BY we) m ON c.we = m.we AND c.n >= m.mx`, catalog);
    if (b.kind !== 'StreamQuery') throw new Error(b.kind);
    const p = new Pipeline(b.plan, { push: () => undefined, watermark: () => undefined }, { ctx: { owner: 't', recordLate: () => undefined } });
    const kinds = p.operators.map((o) => o.op.constructor.name);
    expect(kinds.filter((k) => k === 'WindowAggregateOperator')).toHaveLength(1);
    expect(p.inputs).toHaveLength(1);
  });

  it('numbers its inputs as if nothing were shared, so older checkpoints restore into the same inputs', () => {
    const catalog = catalogWith();
    const counts = `(SELECT auction, COUNT(*) AS n, window_end AS we FROM HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end)`;
    const b = bind(`SELECT c.auction, a.seller FROM ${counts} c JOIN ${counts} d ON c.we = d.we JOIN auction a ON a.id = c.auction`, catalog);
    if (b.kind !== 'StreamQuery') throw new Error(b.kind);
    const p = new Pipeline(b.plan, { push: () => undefined, watermark: () => undefined }, { ctx: { owner: 't', recordLate: () => undefined } });
    expect(p.inputs.map((i) => (i.kind === 'source' ? i.source : i.kind))).toEqual(['bids', 'auction']);
    // Unshared, the second copy of the counts read input 1: auction stays input 2.
    expect(Object.keys(p.snapshot()).filter((k) => k.startsWith('input.'))).toEqual(['input.0', 'input.2']);
    const saved = p.snapshot();
    const q = new Pipeline(b.plan, { push: () => undefined, watermark: () => undefined }, { ctx: { owner: 't', recordLate: () => undefined } });
    q.restore({ ...saved, 'input.1': saved['input.0'] });
    expect(q.snapshot()).toEqual(saved);
  });

  for (const [name, sql] of Object.entries(QUERIES)) {
    it(`${name}: equals DuckDB, also across a reopen`, async () => {
      await fc.assert(
        fc.asyncProperty(onTimeEvents(T0, DELAY, 3, 900), fc.integer({ min: 1, max: 8 }), fc.nat(), async (evs, batch, cutAt) => {
          const dir = mkdtempSync(join(tmpdir(), 'sluice-shared-'));
          const path = join(dir, 's.duckdb');
          try {
            let e = await Engine.open({ path });
            await e.execute(SOURCE);
            await e.execute(`CREATE MATERIALIZED VIEW v AS ${sql}`);
            e = await feedInterleaved(e, path, { a: evs }, batch, cutAt);
            expect(norm(await e.query('SELECT * FROM v'))).toEqual(await oracle(sql, evs));
            await e.close();
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: 20 },
      );
    }, 180_000);
  }
});
