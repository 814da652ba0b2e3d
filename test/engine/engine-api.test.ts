import { afterEach, describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { Engine, SluiceError, type Change } from '../../src/index.js';

const SOURCE = `CREATE SOURCE bids (auction BIGINT, price DOUBLE, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`;
const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));

let engine: Engine;
afterEach(async () => {
  await engine?.close();
});

describe('Engine API (SPEC 1.2)', () => {
  it('insert is read-your-writes for every view; query takes ? parameters', async () => {
    engine = await Engine.open();
    await engine.execute(SOURCE);
    await engine.execute(`CREATE MATERIALIZED VIEW totals AS SELECT auction, COUNT(*) AS n, SUM(price) AS total FROM bids GROUP BY auction`);
    await engine.execute(`CREATE MATERIALIZED VIEW big AS SELECT auction, price FROM bids WHERE price > 10`);
    await engine.insert('bids', [
      { auction: 1, price: 5, ts: t(1) },
      { auction: 1, price: 20, ts: t(2) },
      { auction: 2, price: 30, ts: '2024-01-01T00:00:03Z' },
    ]);
    expect(await engine.query('SELECT * FROM totals ORDER BY auction')).toEqual([
      { auction: 1, n: 2, total: 25 },
      { auction: 2, n: 1, total: 30 },
    ]);
    expect(await engine.query('SELECT count(*)::INT AS c FROM big WHERE price > ?', [25])).toEqual([{ c: 1 }]);
    await engine.insert('bids', [{ auction: 2, price: 1, ts: t(4) }]);
    expect(await engine.query('SELECT n FROM totals WHERE auction = ?', [2])).toEqual([{ n: 2 }]);
  });

  it('a view created after events were inserted replays them from the event log', async () => {
    engine = await Engine.open();
    await engine.execute(SOURCE);
    await engine.insert('bids', [{ auction: 7, price: 1, ts: t(1) }]);
    await engine.execute(`CREATE MATERIALIZED VIEW c AS SELECT COUNT(*) AS n FROM bids`);
    expect(await engine.query('SELECT n FROM c')).toEqual([{ n: 1 }]);
  });

  it('subscribe delivers the snapshot and then each change with its op; changes() iterates the same', async () => {
    engine = await Engine.open();
    await engine.execute(SOURCE);
    await engine.execute(`CREATE MATERIALIZED VIEW totals AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction`);
    await engine.insert('bids', [{ auction: 1, price: 5, ts: t(1) }]);
    const seen: Change[] = [];
    const sub = engine.subscribe('totals', (c) => seen.push(c));
    const it = engine.changes('totals');
    await engine.insert('bids', [{ auction: 1, price: 6, ts: t(2) }]);
    expect(seen).toEqual([
      { op: '+I', row: { auction: 1, n: 1 } },
      { op: '-U', row: { auction: 1, n: 1 } },
      { op: '+U', row: { auction: 1, n: 2 } },
    ]);
    const first = await it.next();
    expect(first.value).toEqual({ op: '+I', row: { auction: 1, n: 1 } });
    expect((await it.next()).value).toEqual({ op: '-U', row: { auction: 1, n: 1 } });
    await it.return!();
    sub.unsubscribe();
    await engine.insert('bids', [{ auction: 1, price: 6, ts: t(3) }]);
    expect(seen.length).toBe(3);
  });

  it('windows close on advanceWatermark and endOfStream; timestamps come back as Date', async () => {
    engine = await Engine.open();
    await engine.execute(SOURCE);
    await engine.execute(`CREATE MATERIALIZED VIEW w AS
      SELECT window_start, auction, COUNT(*) AS n FROM TUMBLE(bids, ts, INTERVAL '10' SECOND)
      GROUP BY window_start, window_end, auction EMIT ON WINDOW CLOSE`);
    await engine.insert('bids', [
      { auction: 1, price: 5, ts: t(1) },
      { auction: 1, price: 5, ts: t(12) },
    ]);
    expect(await engine.query('SELECT * FROM w')).toEqual([{ window_start: t(0), auction: 1, n: 1 }]);
    await engine.advanceWatermark('bids', t(20));
    expect(await engine.query('SELECT count(*)::INT AS c FROM w')).toEqual([{ c: 2 }]);
    await engine.insert('bids', [{ auction: 2, price: 5, ts: t(25) }]);
    await engine.endOfStream('bids');
    expect(await engine.query('SELECT count(*)::INT AS c FROM w')).toEqual([{ c: 3 }]);
  });

  it('takes an Arrow table; bad events go to sluice_dead_letters and the rest is inserted', async () => {
    engine = await Engine.open();
    await engine.execute(SOURCE);
    await engine.execute(`CREATE MATERIALIZED VIEW c AS SELECT COUNT(*) AS n FROM bids`);
    const table = tableFromArrays({ auction: BigInt64Array.from([1n, 2n]), price: Float64Array.from([1, 2]), ts: [t(1), t(2)] });
    await engine.insert('bids', table);
    const r = await engine.insert('bids', [{ auction: 'x', price: 1, ts: t(3) }, { auction: 3, price: 1, ts: t(3) }]);
    expect(r).toEqual({ inserted: 1, rejected: 1, offsets: [2] });
    expect(await engine.query('SELECT n FROM c')).toEqual([{ n: 3 }]);
    const dead = await engine.query('SELECT source, reason FROM sluice_dead_letters');
    expect(dead).toEqual([{ source: 'bids', reason: expect.stringContaining('auction') }]);
  });

  it('rejects with SluiceErrors carrying code, line and column', async () => {
    engine = await Engine.open();
    await engine.execute(SOURCE);
    const err = await engine.execute('SELECT pricee\nFROM bids').catch((e) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect(err).toMatchObject({ code: 'BIND', line: 1, column: 8 });
    expect(err.message).toContain("did you mean 'price'");
    await expect(engine.insert('nope', [])).rejects.toMatchObject({ code: 'CATALOG' });
    await expect(engine.query('DROP TABLE sluice_dead_letters')).rejects.toMatchObject({ code: 'IMMUTABLE' });
    await expect(engine.query('SELECT * FROM nowhere')).rejects.toMatchObject({ code: 'BIND' });
    await expect(engine.execute('UPDATE bids SET price = 1')).rejects.toMatchObject({ code: 'IMMUTABLE' });
    // The engine is still usable after errors.
    expect(await engine.execute('SELECT 1 + 1 AS two')).toMatchObject([{ rows: [{ two: 2 }] }]);
  });

  it('live queries deliver every change as it happens until stopped', async () => {
    engine = await Engine.open();
    await engine.execute(SOURCE);
    await engine.execute(`CREATE MATERIALIZED VIEW totals AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction`);
    await engine.insert('bids', [{ auction: 1, price: 5, ts: t(1) }]);
    const rows: Change[] = [];
    const seen: Change[] = [];
    const q = await engine.live('SELECT auction, price FROM bids WHERE price > 4', (cs) => rows.push(...cs));
    const sub = await engine.live('SUBSCRIBE totals', (cs) => seen.push(...cs));
    expect(q.columns.map((c) => c.name)).toEqual(['auction', 'price']);
    await engine.insert('bids', [{ auction: 1, price: 9, ts: t(2) }, { auction: 2, price: 1, ts: t(2) }]);
    await q.stop();
    await engine.insert('bids', [{ auction: 3, price: 9, ts: t(3) }]);
    await sub.stop();
    expect(rows).toEqual([
      { op: '+I', row: { auction: 1, price: 5 } },
      { op: '+I', row: { auction: 1, price: 9 } },
    ]);
    expect(seen).toEqual([
      { op: '+I', row: { auction: 1, n: 1 } },
      { op: '-U', row: { auction: 1, n: 1 } },
      { op: '+U', row: { auction: 1, n: 2 } },
      { op: '+I', row: { auction: 2, n: 1 } },
      { op: '+I', row: { auction: 3, n: 1 } },
    ]);
    await expect(engine.live('SELECT * FROM totals', () => undefined)).rejects.toMatchObject({ code: 'BIND' });
  });
});
