/**
 * The audit trail names the event behind each change (`source`, `offset` of CHANGES(v)):
 * a change that derives from one event (through filters, projections, UNION ALL, views over
 * views) names that event; a group's change names the group's last event in the batch that
 * changed it, so the group's aggregate over its events up to that offset is the changed row;
 * a change computed from many events at once (a window closed by the watermark, a join)
 * names the event that triggered it: the last event taken before it was emitted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Engine, type Row } from '../../src/index.js';
import { cut, runs } from '../engine/oracle.js';

const T0 = Date.UTC(2024, 0, 1);
const t = (s: number) => new Date(T0 + s * 1000);
const SOURCE = `CREATE SOURCE ev (k VARCHAR, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`;

let engine: Engine | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const audit = (view: string, cols: string) => engine!.query(`SELECT op, ${cols}, source, "offset" FROM CHANGES(${view}) ORDER BY seq`);

describe('CHANGES(v) names the event behind each change', () => {
  it('a change from one event names it, per row of a multi-row insert, through a filter, a projection and a view over a view', async () => {
    engine = await Engine.open();
    await engine.execute(`${SOURCE};
      CREATE MATERIALIZED VIEW big AS SELECT k, x * 10 AS x10 FROM ev WHERE x > 2;
      CREATE MATERIALIZED VIEW bigger AS SELECT k, x10 FROM big WHERE x10 >= 50`);
    await engine.insert('ev', [
      { k: 'a', x: 1, ts: t(0) },
      { k: 'b', x: 3, ts: t(1) },
      { k: 'c', x: 5, ts: t(2) },
    ]);
    await engine.insert('ev', [{ k: 'd', x: 9, ts: t(3) }]);
    expect(await audit('big', 'k, x10')).toEqual([
      { op: '+I', k: 'b', x10: 30, source: 'ev', offset: 1 },
      { op: '+I', k: 'c', x10: 50, source: 'ev', offset: 2 },
      { op: '+I', k: 'd', x10: 90, source: 'ev', offset: 3 },
    ]);
    expect(await audit('bigger', 'k, x10')).toEqual([
      { op: '+I', k: 'c', x10: 50, source: 'ev', offset: 2 },
      { op: '+I', k: 'd', x10: 90, source: 'ev', offset: 3 },
    ]);
  });

  it('UNION ALL of two sources: each row names its own source', async () => {
    engine = await Engine.open();
    await engine.execute(`${SOURCE}; CREATE SOURCE other (k VARCHAR, x BIGINT, ts TIMESTAMP);
      CREATE MATERIALIZED VIEW both_ AS SELECT k, x FROM ev UNION ALL SELECT k, x FROM other`);
    await engine.insert('other', [{ k: 'o', x: 1, ts: t(0) }, { k: 'p', x: 2, ts: t(0) }]);
    await engine.insert('ev', [{ k: 'e', x: 3, ts: t(0) }]);
    expect(await audit('both_', 'k')).toEqual([
      { op: '+I', k: 'o', source: 'other', offset: 0 },
      { op: '+I', k: 'p', source: 'other', offset: 1 },
      { op: '+I', k: 'e', source: 'ev', offset: 0 },
    ]);
  });

  it("a group's change names the group's last event in the batch, not the batch's last; views over it inherit the name", async () => {
    engine = await Engine.open();
    await engine.execute(`${SOURCE};
      CREATE MATERIALIZED VIEW sums AS SELECT k, SUM(x) AS s FROM ev GROUP BY k;
      CREATE MATERIALIZED VIEW high AS SELECT k, s FROM sums WHERE s > 10`);
    await engine.insert('ev', [
      { k: 'a', x: 5, ts: t(0) },
      { k: 'b', x: 20, ts: t(1) },
      { k: 'a', x: 7, ts: t(2) },
      { k: 'c', x: 1, ts: t(3) },
    ]);
    await engine.insert('ev', [{ k: 'a', x: -10, ts: t(4) }]);
    expect(await audit('sums', 'k, s')).toEqual([
      { op: '+I', k: 'a', s: 12, source: 'ev', offset: 2 },
      { op: '+I', k: 'b', s: 20, source: 'ev', offset: 1 },
      { op: '+I', k: 'c', s: 1, source: 'ev', offset: 3 },
      { op: '-U', k: 'a', s: 12, source: 'ev', offset: 4 },
      { op: '+U', k: 'a', s: 2, source: 'ev', offset: 4 },
    ]);
    // a leaves `high` because of event 4, the withdrawal of 10.
    expect(await audit('high', 'k, s')).toEqual([
      { op: '+I', k: 'a', s: 12, source: 'ev', offset: 2 },
      { op: '+I', k: 'b', s: 20, source: 'ev', offset: 1 },
      { op: '-D', k: 'a', s: 12, source: 'ev', offset: 4 },
    ]);
  });

  it('a window result names the event whose arrival closed it; at end of stream, the last event taken', async () => {
    engine = await Engine.open();
    await engine.execute(`${SOURCE};
      CREATE MATERIALIZED VIEW per10 AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(ev, ts, INTERVAL '10' SECOND)
        GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
    for (const s of [1, 4, 9, 10, 10.5, 12, 25]) await engine.insert('ev', [{ k: 'a', x: 1, ts: t(s) }]);
    // Window [0, 10) closes when the watermark reaches 10 s: event 5 (12 s − 1 s delay = 11 s).
    // Window [10, 20) closes at event 6 (25 s); [20, 30) at the end of the stream, after event 6.
    await engine.endOfStream('ev');
    expect(await audit('per10', 'window_start, n')).toEqual([
      { op: '+I', window_start: t(0), n: 3, source: 'ev', offset: 5 },
      { op: '+I', window_start: t(10), n: 3, source: 'ev', offset: 6 },
      { op: '+I', window_start: t(20), n: 1, source: 'ev', offset: 6 },
    ]);
  });

  it('a join result names the event that arrived last, from either side', async () => {
    engine = await Engine.open();
    await engine.execute(`${SOURCE}; CREATE SOURCE names (k VARCHAR, name VARCHAR);
      CREATE MATERIALIZED VIEW named AS SELECT e.k, e.x, n.name FROM ev e JOIN names n ON e.k = n.k`);
    await engine.insert('ev', [{ k: 'a', x: 1, ts: t(0) }]);
    await engine.insert('names', [{ k: 'z', name: 'zed' }]);
    await engine.insert('names', [{ k: 'a', name: 'ada' }]);
    await engine.insert('ev', [{ k: 'a', x: 2, ts: t(1) }]);
    expect(await audit('named', 'x, name')).toEqual([
      { op: '+I', x: 1, name: 'ada', source: 'names', offset: 1 },
      { op: '+I', x: 2, name: 'ada', source: 'ev', offset: 1 },
    ]);
  });

  it('keeps the names across a reopen, and a reopened view names the events after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-audit-'));
    dirs.push(dir);
    const path = join(dir, 'a.duckdb');
    engine = await Engine.open({ path });
    await engine.execute(`${SOURCE}; CREATE MATERIALIZED VIEW sums AS SELECT k, SUM(x) AS s FROM ev GROUP BY k`);
    await engine.insert('ev', [{ k: 'a', x: 1, ts: t(0) }, { k: 'b', x: 1, ts: t(0) }]);
    await engine.close();
    engine = await Engine.open({ path });
    await engine.insert('ev', [{ k: 'b', x: 5, ts: t(1) }]);
    expect(await audit('sums', 'k, s')).toEqual([
      { op: '+I', k: 'a', s: 1, source: 'ev', offset: 0 },
      { op: '+I', k: 'b', s: 1, source: 'ev', offset: 1 },
      { op: '-U', k: 'b', s: 1, source: 'ev', offset: 2 },
      { op: '+U', k: 'b', s: 6, source: 'ev', offset: 2 },
    ]);
  });
});

describe('a group change is the aggregate of its events up to the one it names', () => {
  it('for random events cut into random batches', async () => {
    const eventArb = fc.record({ k: fc.constantFrom('a', 'b', 'c', 'd'), x: fc.integer({ min: -5, max: 5 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 }), async (evs, sizes) => {
        const e = await Engine.open();
        try {
          await e.execute(`${SOURCE}; CREATE MATERIALIZED VIEW g AS SELECT k, COUNT(*) AS n, SUM(x) AS s FROM ev GROUP BY k HAVING SUM(x) >= 0`);
          const rows = evs.map((v, i) => ({ ...v, ts: t(i) }));
          for (const b of cut(rows, sizes)) await e.insert('ev', b);
          const changes = await e.query(`SELECT op, k, n, s, source, "offset" FROM CHANGES(g) ORDER BY seq`);
          const upTo = (k: string, offset: number): Row | null => {
            const mine = rows.slice(0, offset + 1).filter((r) => r.k === k);
            const s = mine.reduce((a, r) => a + r.x, 0);
            return s >= 0 ? { k, n: mine.length, s } : null;
          };
          for (let i = 0; i < changes.length; i++) {
            const c = changes[i]!;
            const k = c['k'] as string;
            const offset = c['offset'] as number;
            expect(c['source']).toBe('ev');
            // The named event is one of the group's own.
            expect(rows[offset]!.k).toBe(k);
            if (c['op'] === '+I' || c['op'] === '+U') expect({ k, n: c['n'], s: c['s'] }).toEqual(upTo(k, offset));
            if (c['op'] === '-D') expect(upTo(k, offset)).toBeNull();
            if (c['op'] === '-U') expect(changes[i + 1]!['offset']).toBe(offset);
          }
        } finally {
          await e.close();
        }
      }),
      { numRuns: runs(15) },
    );
  });
});
