/**
 * GROUP BY with the view's `state_ttl`: a group that took no row while the watermark moved on
 * by the TTL is dropped; its row stays in the view, and a later row of its key starts the
 * group afresh and replaces that row (Flink's state TTL, by event time). Checked against a
 * row-by-row model over random out-of-order streams cut into random batches (so the result
 * cannot depend on the cuts), across a checkpoint, and that lapsed groups leave the state.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';

const T0 = Date.UTC(2024, 0, 1);
const DELAY = 1000;
const TTL = 5000;

interface Ev {
  readonly k: string;
  readonly x: number;
  readonly ts: number;
}

const SOURCE = `CREATE SOURCE s (k VARCHAR, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '${DELAY}' MILLISECOND)`;
const VIEW = `CREATE MATERIALIZED VIEW v WITH (state_ttl = '${TTL / 1000} seconds') AS SELECT k, COUNT(*) AS n, SUM(x) AS total, MIN(ts) AS since FROM s GROUP BY k`;

/**
 * The view row by row: each row sees the watermark the rows before it set; a group lapses
 * when that watermark is past the one its last row came under plus the TTL (a group from
 * before any watermark counts from the first one).
 */
function model(events: readonly Ev[]): Map<string, [number, number, number]> {
  const groups = new Map<string, { n: number; total: number; since: number; seen: number }>();
  const view = new Map<string, [number, number, number]>();
  let wm = -Infinity;
  let first = Infinity;
  for (const e of events) {
    if (wm !== -Infinity && first === Infinity) first = wm;
    let g = groups.get(e.k);
    if (g !== undefined && wm - TTL > (g.seen === -Infinity ? first : g.seen)) g = undefined;
    if (g === undefined) groups.set(e.k, (g = { n: 0, total: 0, since: Infinity, seen: wm }));
    g.n++;
    g.total += e.x;
    g.since = Math.min(g.since, e.ts);
    g.seen = wm;
    view.set(e.k, [g.n, g.total, g.since]);
    wm = Math.max(wm, e.ts - DELAY);
  }
  return view;
}

/** 20–80 events, 0–1.5 s apart, out of order by up to 3 s (some late), on 5 keys: groups lapse and come back. */
const streamArb = fc
  .array(fc.record({ k: fc.constantFrom('a', 'b', 'c', 'd', 'e'), x: fc.integer({ min: 1, max: 9 }), gap: fc.integer({ min: 0, max: 1500 }), jitter: fc.integer({ min: 0, max: 3000 }) }), {
    minLength: 20,
    maxLength: 80,
  })
  .map((rows) => {
    let t = T0;
    return rows
      .map((r, i) => ({ k: r.k, x: r.x, ts: (t += r.gap), order: t - r.jitter + i / 1000 }))
      .sort((a, b) => a.order - b.order)
      .map(({ order: _o, ...e }) => e);
  });
const cutsArb = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 });

async function feed(e: Engine, events: readonly Ev[], cuts: readonly number[]): Promise<void> {
  for (let i = 0, c = 0; i < events.length; c++) {
    const n = cuts[c % cuts.length]!;
    await e.insert('s', events.slice(i, i + n).map((r) => ({ ...r, ts: new Date(r.ts) })));
    i += n;
  }
}

async function viewRows(e: Engine): Promise<Map<string, [number, number, number]>> {
  const rows = await e.query('SELECT k, n, total, since FROM v');
  return new Map(rows.map((r) => [r['k'] as string, [r['n'] as number, r['total'] as number, (r['since'] as Date).getTime()]]));
}

describe('GROUP BY with state_ttl', () => {
  it('equals the row-by-row model whatever the batch cuts', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, cutsArb, async (events, cuts) => {
        const e = await Engine.open();
        try {
          await e.execute(SOURCE);
          await e.execute(VIEW);
          await feed(e, events, cuts);
          expect(await viewRows(e)).toEqual(model(events));
        } finally {
          await e.close();
        }
      }),
      { numRuns: 40, endOnFailure: true },
    );
  }, 120_000);

  it('reopened from a checkpoint, lapses the same groups: equal to the model over all the events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-group-ttl-'));
    try {
      await fc.assert(
        fc.asyncProperty(streamArb, fc.nat(), cutsArb, async (events, at, cuts) => {
          const path = join(dir, `${Math.random().toString(36).slice(2)}.duckdb`);
          const split = events.length === 0 ? 0 : at % events.length;
          let e = await Engine.open({ path });
          await e.execute(SOURCE);
          await e.execute(VIEW);
          await feed(e, events.slice(0, split), cuts);
          await e.checkpoint();
          await e.close();
          e = await Engine.open({ path });
          try {
            await feed(e, events.slice(split), cuts);
            expect(await viewRows(e)).toEqual(model(events));
          } finally {
            await e.close();
          }
        }),
        { numRuns: 10 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('frees lapsed groups: 3,000 keys each seen once leave a few in the state', async () => {
    const e = await Engine.open();
    try {
      await e.execute(SOURCE);
      await e.execute(VIEW);
      for (let at = 0; at < 3000; at += 300) {
        await e.insert('s', Array.from({ length: 300 }, (_, j) => ({ k: `key${at + j}`, x: 1, ts: new Date(T0 + (at + j) * 100) })));
      }
      // The keys of the last TTL + delay of event time (60 rows), and a quarter TTL between sweeps.
      expect(e.metrics().stateSize).toBeLessThan(100);
      expect((await e.query('SELECT COUNT(*) AS c FROM v'))[0]!['c']).toBe(3000);
    } finally {
      await e.close();
    }
  });

  it("keeps a lapsed group's row in the view: a lookup by key still finds it, and a new row starts it afresh", async () => {
    const e = await Engine.open();
    try {
      await e.execute(SOURCE);
      await e.execute(VIEW);
      const at = (s: number) => new Date(T0 + s * 1000);
      await e.insert('s', [
        { k: 'a', x: 5, ts: at(0) },
        { k: 'a', x: 6, ts: at(1) },
      ]);
      // The watermark moves 20 s on: a's group lapses (and is swept) without a change.
      await e.insert('s', [{ k: 'b', x: 1, ts: at(21) }]);
      await e.insert('s', [{ k: 'b', x: 1, ts: at(22) }]);
      const lookup = 'SELECT n, total FROM v WHERE k = ?';
      expect(await e.query(lookup, ['a'])).toEqual([{ n: 2, total: 11 }]);
      await e.insert('s', [{ k: 'a', x: 7, ts: at(23) }]);
      expect(await e.query(lookup, ['a'])).toEqual([{ n: 1, total: 7 }]);
      const changes = await e.query(`SELECT op, n FROM CHANGES(v) WHERE k = 'a' ORDER BY seq`);
      expect(changes.map((r) => [r['op'], r['n']])).toEqual([
        ['+I', 1],
        ['-U', 1],
        ['+U', 2],
        ['+I', 1],
      ]);
    } finally {
      await e.close();
    }
  });

  it('shows in EXPLAIN on the Aggregate, and applies to append-only inputs only', async () => {
    const e = await Engine.open();
    try {
      await e.execute(SOURCE);
      const plan = async (q: string) => ((await e.execute(`EXPLAIN CREATE MATERIALIZED VIEW w WITH (state_ttl = '1 hour') AS ${q}`))[0]!.rows ?? []).map((r) => r['plan']).join('\n');
      expect(await plan('SELECT k, COUNT(*) AS n FROM s GROUP BY k')).toMatch(/Aggregate: keys=\[k\] aggs=\[COUNT\(\*\)\] state_ttl=1h/);
      expect(await plan('SELECT DISTINCT k FROM s')).toContain('state_ttl=1h');
      // Over a GROUP BY's changelog a retraction must find its group: no TTL there.
      const nested = await plan('SELECT n, COUNT(*) AS c FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k) GROUP BY n');
      expect(nested.match(/state_ttl/g)).toHaveLength(1);
    } finally {
      await e.close();
    }
  });
});
