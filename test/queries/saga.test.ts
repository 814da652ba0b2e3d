/**
 * queries/saga/, the order saga: `sluice run saga.sql` prints exactly the compensations and
 * writes them to the file sink; fed step by step through the API, each compensation comes
 * once, at the first event that moves the next step's watermark past its deadline, never
 * before, and an order whose steps all followed in time is never compensated.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { built, sluice } from '../cli/cli-runner.js';

const DIR = fileURLToPath(new URL('../../queries/saga/', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const COMPENSATIONS = [
  '{"order_id":3,"action":"cancel_order","reason":"no payment within 15 minutes","deadline":"2024-03-01T10:25:00.000Z"}',
  '{"order_id":4,"action":"cancel_order","reason":"no payment within 15 minutes","deadline":"2024-03-01T10:35:00.000Z"}',
  '{"order_id":5,"action":"refund_payment","reason":"not shipped within 1 hour of payment","deadline":"2024-03-01T11:41:00.000Z"}',
  '{"order_id":4,"action":"refund_payment","reason":"not shipped within 1 hour of payment","deadline":"2024-03-01T11:50:00.000Z"}',
];

describe.skipIf(!built)('sluice run queries/saga/saga.sql', () => {
  it('prints the compensations and writes each once to compensations.jsonl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-saga-'));
    dirs.push(dir);
    cpSync(DIR, dir, { recursive: true });
    rmSync(join(dir, 'compensations.jsonl'), { force: true });
    const r = await sluice(['run', join(dir, 'saga.sql'), '--format', 'jsonl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual(COMPENSATIONS);
    // The sink writes in emission order: payment timeouts close first, as their deadlines come first.
    expect(readFileSync(join(dir, 'compensations.jsonl'), 'utf8').trimEnd().split('\n')).toEqual(COMPENSATIONS);
  });
});

describe('the saga step by step', () => {
  it('emits each compensation once, when the watermark of the awaited step passes its deadline', async () => {
    // The same SQL over sources fed by the API: the file connectors, the sink and the query dropped.
    const sql = readFileSync(join(DIR, 'saga.sql'), 'utf8')
      .replace(/\) WITH \(connector = 'file'[^;]*;/g, ');')
      .replace(/CREATE SINK[\s\S]*$/, '');
    const engine = await Engine.open();
    try {
      await engine.execute(sql);
      const emitted: string[] = [];
      engine.subscribe('compensations', (c) => emitted.push(`${c.op} ${String(c.row['action'])} ${String(c.row['order_id'])}`));
      const events = ['orders', 'payments', 'shipments'].flatMap((source) =>
        readFileSync(join(DIR, `${source}.jsonl`), 'utf8')
          .trimEnd()
          .split('\n')
          .map((line) => ({ source, row: JSON.parse(line) as Record<string, string | number> })),
      );
      events.sort((a, b) => String(a.row['ts']).localeCompare(String(b.row['ts'])));
      const steps: string[] = [];
      for (const { source, row } of events) {
        await engine.insert(source, [row]);
        steps.push(`${source} ${row['order_id']} ${String(row['ts']).slice(11, 19)}: ${emitted.splice(0).join(', ')}`);
      }
      for (const source of ['orders', 'payments', 'shipments']) {
        await engine.endOfStream(source);
        steps.push(`end of ${source}: ${emitted.splice(0).join(', ')}`);
      }
      expect(steps).toEqual([
        'orders 1 10:00:00: ',
        'payments 1 10:03:00: ',
        'orders 2 10:05:00: ',
        'orders 3 10:10:00: ',
        // Paid 14.5 minutes after it was placed: in time. The payments' watermark is 10:18:30.
        'payments 2 10:19:30: ',
        'orders 4 10:20:00: ',
        'orders 5 10:30:00: ',
        // The payments' watermark jumps to 10:40, past the deadlines of orders 3 (10:25) and 4 (10:35).
        'payments 5 10:41:00: +I cancel_order 3, +I cancel_order 4',
        'shipments 1 10:45:00: ',
        // Paid 30 minutes after it was placed: too late for order 4, and its payment awaits a shipment.
        'payments 4 10:50:00: ',
        'shipments 2 11:10:00: ',
        'orders 6 12:00:00: ',
        'payments 6 12:04:00: ',
        // The shipments' watermark jumps to 12:29, past 11:41 (order 5) and 11:50 (order 4).
        'shipments 6 12:30:00: +I refund_payment 5, +I refund_payment 4',
        'end of orders: ',
        'end of payments: ',
        'end of shipments: ',
      ]);
      expect(await engine.query('SELECT COUNT(*) AS n FROM compensations')).toEqual([{ n: 4 }]);
    } finally {
      await engine.close();
    }
  });
});
