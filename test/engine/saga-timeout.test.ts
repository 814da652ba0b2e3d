/**
 * Saga timeouts: a LEFT interval join under EMIT ON WINDOW CLOSE emits an order no payment
 * met within 15 minutes once, padded with NULLs, when the payments' watermark passes the
 * order's time + 15 minutes, and never for an order paid in time; its output is append-only
 * (+I only). RIGHT and FULL joins work alike; forms without a bound are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type Change } from '../../src/index.js';

const T = Date.UTC(2024, 0, 1, 12);
const MIN = 60_000;
const at = (minutes: number) => new Date(T + minutes * MIN);

const SOURCES = `
  CREATE SOURCE orders (id BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
  CREATE SOURCE payments (order_id BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);`;

const TIMEOUTS = `CREATE MATERIALIZED VIEW timeouts AS
  SELECT o.id, o.ts AS placed, p.ts AS paid FROM orders o LEFT JOIN payments p
    ON p.order_id = o.id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '15' MINUTE
  EMIT ON WINDOW CLOSE`;

let engine: Engine;
afterEach(async () => {
  await engine?.close();
});

/** An engine with the sources and `view`, and every change of the view as it comes. */
async function open(view: string, path?: string): Promise<{ changes: Change[] }> {
  engine = await Engine.open(path ? { path } : {});
  await engine.execute(SOURCES);
  await engine.execute(view);
  const changes: Change[] = [];
  engine.subscribe(view.match(/VIEW (\w+)/)![1]!, (c) => changes.push(c));
  return { changes };
}

/** Moves the payments' watermark to `minutes` with a payment for an unknown order (ts − 1 s). */
const paymentsWatermark = (minutes: number) => engine.insert('payments', [{ order_id: 999, ts: new Date(T + minutes * MIN + 1000) }]);

describe('saga timeouts: LEFT interval join EMIT ON WINDOW CLOSE', () => {
  it('an unpaid order is emitted once, padded, when the watermark passes its time + 15 min, and not before', async () => {
    const { changes } = await open(TIMEOUTS);
    await engine.insert('orders', [{ id: 1, ts: at(0) }]);
    await paymentsWatermark(10);
    await paymentsWatermark(15);
    // At exactly placed + 15 min a payment at the watermark would still be on time and match.
    expect(changes).toEqual([]);
    await engine.advanceWatermark('payments', T + 15 * MIN + 1);
    expect(changes).toEqual([{ op: '+I', row: { id: 1, placed: at(0), paid: null } }]);
    await paymentsWatermark(40);
    await engine.endOfStream('payments');
    await engine.endOfStream('orders');
    expect(changes).toHaveLength(1);
    expect(await engine.query('SELECT id, paid FROM timeouts')).toEqual([{ id: 1, paid: null }]);
  });

  it('an order paid in time gives only its joined row, never a padded one; a payment too late does not join', async () => {
    const { changes } = await open(TIMEOUTS);
    await engine.insert('orders', [
      { id: 2, ts: at(0) },
      { id: 3, ts: at(1) },
      { id: 4, ts: at(2) },
    ]);
    await engine.insert('payments', [{ order_id: 2, ts: at(14) }]);
    expect(changes).toEqual([{ op: '+I', row: { id: 2, placed: at(0), paid: at(14) } }]);
    // Exactly at the bound (order 3) still matches: BETWEEN is inclusive; 16 min after (order 4) is too late.
    await engine.insert('payments', [{ order_id: 3, ts: at(16) }]);
    await engine.insert('payments', [{ order_id: 4, ts: at(18) }]);
    await paymentsWatermark(60);
    await engine.endOfStream('orders');
    await engine.endOfStream('payments');
    expect(changes).toEqual([
      { op: '+I', row: { id: 2, placed: at(0), paid: at(14) } },
      { op: '+I', row: { id: 3, placed: at(1), paid: at(16) } },
      { op: '+I', row: { id: 4, placed: at(2), paid: null } },
    ]);
    expect(changes.every((c) => c.op === '+I')).toBe(true);
  });

  it('emits only +I over a random mix of paid, late-paid and unpaid orders, equal to the batch LEFT JOIN', async () => {
    const { changes } = await open(TIMEOUTS);
    const orders = Array.from({ length: 40 }, (_, i) => ({ id: i, ts: at(i) }));
    // Order i is paid (i % 3 === 0) in time, (i % 3 === 1) too late, or never.
    const payments = orders.flatMap((o) => (o.id % 3 === 2 ? [] : [{ order_id: o.id, ts: at(o.id + (o.id % 3 === 0 ? 7 : 20)) }]));
    for (let m = 0; m < 60; m += 5) {
      await engine.insert('orders', orders.filter((o) => o.ts >= at(m) && o.ts < at(m + 5)));
      await engine.insert('payments', payments.filter((p) => p.ts >= at(m) && p.ts < at(m + 5)));
    }
    await engine.endOfStream('payments');
    await engine.endOfStream('orders');
    expect(new Set(changes.map((c) => c.op))).toEqual(new Set(['+I']));
    const got = changes.map((c) => [c.row['id'], c.row['paid'] === null ? 'timeout' : 'paid']).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(got).toEqual(orders.map((o) => [o.id, o.id % 3 === 0 ? 'paid' : 'timeout']));
  });

  it('the README form: WHERE p.order_id IS NULL keeps only the timeouts', async () => {
    const { changes } = await open(`CREATE MATERIALIZED VIEW unpaid AS
      SELECT o.id FROM orders o LEFT JOIN payments p ON p.order_id = o.id AND p.ts BETWEEN o.ts AND
      o.ts + INTERVAL '15' MINUTE WHERE p.order_id IS NULL EMIT ON WINDOW CLOSE`);
    await engine.insert('orders', [{ id: 1, ts: at(0) }, { id: 2, ts: at(0) }]);
    await engine.insert('payments', [{ order_id: 2, ts: at(1) }]);
    await paymentsWatermark(15);
    expect(changes).toEqual([]);
    await paymentsWatermark(16);
    expect(changes).toEqual([{ op: '+I', row: { id: 1 } }]);
  });

  it('an order that arrives after the payments watermark passed its bound is final at once', async () => {
    const { changes } = await open(TIMEOUTS);
    await paymentsWatermark(30);
    await engine.insert('orders', [{ id: 5, ts: at(0) }]);
    expect(changes).toEqual([{ op: '+I', row: { id: 5, placed: at(0), paid: null } }]);
  });

  it('a pending order survives a restart and is emitted once after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-saga-'));
    try {
      const path = join(dir, 's.duckdb');
      await open(TIMEOUTS, path);
      await engine.insert('orders', [{ id: 6, ts: at(0) }, { id: 7, ts: at(1) }]);
      await paymentsWatermark(15.5);
      await engine.close();
      engine = await Engine.open({ path });
      // Order 6 timed out before the restart; 7 is still pending.
      expect(await engine.query('SELECT id FROM timeouts')).toEqual([{ id: 6 }]);
      const changes: Change[] = [];
      engine.subscribe('timeouts', (c) => changes.push(c));
      await paymentsWatermark(30);
      expect(changes.filter((c) => c.row['id'] === 7)).toEqual([{ op: '+I', row: { id: 7, placed: at(1), paid: null } }]);
      expect(await engine.query('SELECT id FROM timeouts ORDER BY id')).toEqual([{ id: 6 }, { id: 7 }]);
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('saga timeouts: RIGHT and FULL joins, and the forms that are refused', () => {
  it('RIGHT JOIN pads the right side the same way', async () => {
    const { changes } = await open(`CREATE MATERIALIZED VIEW r AS
      SELECT o.id, o.ts AS placed, p.ts AS paid FROM payments p RIGHT JOIN orders o
        ON p.order_id = o.id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '15' MINUTE EMIT ON WINDOW CLOSE`);
    await engine.insert('orders', [{ id: 1, ts: at(0) }, { id: 2, ts: at(0) }]);
    await engine.insert('payments', [{ order_id: 2, ts: at(3) }]);
    await paymentsWatermark(15);
    expect(changes).toEqual([{ op: '+I', row: { id: 2, placed: at(0), paid: at(3) } }]);
    await paymentsWatermark(16);
    expect(changes).toEqual([
      { op: '+I', row: { id: 2, placed: at(0), paid: at(3) } },
      { op: '+I', row: { id: 1, placed: at(0), paid: null } },
    ]);
  });

  it('FULL JOIN pads both sides, each once its row is final: an unpaid order and a payment for no order', async () => {
    const { changes } = await open(`CREATE MATERIALIZED VIEW f AS
      SELECT o.id, p.order_id, o.ts AS placed, p.ts AS paid FROM orders o FULL JOIN payments p
        ON p.order_id = o.id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '15' MINUTE EMIT ON WINDOW CLOSE`);
    await engine.insert('orders', [{ id: 1, ts: at(0) }, { id: 2, ts: at(0) }]);
    // A payment for order 3, which never comes: it can only meet an order placed at or before it.
    await engine.insert('payments', [{ order_id: 2, ts: at(5) }, { order_id: 3, ts: at(6) }]);
    expect(changes).toEqual([{ op: '+I', row: { id: 2, order_id: 2, placed: at(0), paid: at(5) } }]);
    await engine.insert('orders', [{ id: 10, ts: at(7) }]);
    expect(changes.slice(1)).toEqual([{ op: '+I', row: { id: null, order_id: 3, placed: null, paid: at(6) } }]);
    await paymentsWatermark(16);
    expect(changes.slice(2)).toEqual([{ op: '+I', row: { id: 1, order_id: null, placed: at(0), paid: null } }]);
    expect(changes.every((c) => c.op === '+I')).toBe(true);
  });

  it('refuses, naming the form, an outer join without a bound on the other side, or over a changelog', async () => {
    engine = await Engine.open();
    await engine.execute(SOURCES);
    const refused = async (sql: string, ...parts: string[]) => {
      const err = await engine.execute(sql).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'SluiceError', code: 'UNSUPPORTED' });
      for (const p of parts) expect((err as Error).message).toContain(p);
    };
    await refused(
      `SELECT o.id FROM orders o LEFT JOIN payments p ON p.order_id = o.id EMIT ON WINDOW CLOSE`,
      'EMIT ON WINDOW CLOSE with a LEFT JOIN',
      "bound the right side's event time",
    );
    await refused(
      `SELECT o.id FROM payments p RIGHT JOIN orders o ON p.order_id = o.id AND p.ts >= o.ts EMIT ON WINDOW CLOSE`,
      'EMIT ON WINDOW CLOSE with a RIGHT JOIN',
    );
    // Only the orders side is bounded (p.ts <= o.ts + 15 min): a payment could meet an order of any later time.
    await refused(
      `SELECT o.id FROM orders o FULL JOIN payments p ON p.order_id = o.id AND p.ts <= o.ts + INTERVAL '15' MINUTE EMIT ON WINDOW CLOSE`,
      'EMIT ON WINDOW CLOSE with a FULL JOIN',
      "bound the left side's event time",
    );
    await engine.execute(`CREATE MATERIALIZED VIEW paid AS SELECT order_id, MAX(ts) AS ts FROM payments GROUP BY order_id`);
    await refused(
      `SELECT o.id FROM orders o LEFT JOIN paid p ON p.order_id = o.id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '15' MINUTE EMIT ON WINDOW CLOSE`,
      'EMIT ON WINDOW CLOSE with a LEFT JOIN',
      'append-only',
    );
  });
});
