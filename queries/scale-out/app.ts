/**
 * A shop's order service as a member of the scale-out group that runs orders.sql: it joins
 * the group (beside any `sluice run … --group shop` processes), takes orders, and after each
 * one reads the customer's totals with read-your-writes, whichever member owns the
 * customer's partition.
 *
 *   npm run build && node dist/queries/scale-out/app.js [--servers nats://127.0.0.1:4222] [--group shop]
 *
 * In an application of your own, import from 'sluice' instead of the checkout's source.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { GroupMember, type Row } from '../../src/index.js';

export interface ShopOptions {
  readonly servers?: string;
  readonly group?: string;
  /** The stream and subject prefix of the orders (default ORDERS and `orders`, as orders.sql says). */
  readonly stream?: string;
  readonly prefix?: string;
}

/** The orders the demo takes: customer, amount, minute of the day. */
export const ORDERS: readonly { customer: number; amount: string; minute: number }[] = [
  { customer: 1, amount: '19.90', minute: 0 },
  { customer: 2, amount: '5.00', minute: 0 },
  { customer: 1, amount: '42.10', minute: 1 },
  { customer: 3, amount: '7.25', minute: 1 },
  { customer: 2, amount: '12.00', minute: 2 },
];

const T0 = Date.UTC(2024, 0, 1, 9, 0);

/** orders.sql, beside app.ts in the checkout (dist/queries/scale-out/ reads the source folder's). */
function jobSql(): string {
  for (const p of ['./orders.sql', '../../../queries/scale-out/orders.sql']) {
    try {
      return readFileSync(fileURLToPath(new URL(p, import.meta.url)), 'utf8');
    } catch {
      // try the next place
    }
  }
  throw new Error('orders.sql not found beside app.ts');
}

/** Creates the orders stream if missing, joins the group, takes the orders; logs each read. */
export async function runShop(log: (line: string) => void, options: ShopOptions = {}): Promise<Row[]> {
  const servers = options.servers ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const stream = options.stream ?? 'ORDERS';
  const prefix = options.prefix ?? 'orders';
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.info(stream).catch(() => jsm.streams.add({ name: stream, subjects: [`${prefix}.*`] }));
  } finally {
    await nc.close();
  }
  // The job as orders.sql says, on this stream and servers.
  const dir = mkdtempSync(join(tmpdir(), 'sluice-shop-'));
  const job = join(dir, 'orders.sql');
  const sql = jobSql().replace("stream = 'ORDERS', subject = 'orders.*'", `servers = '${servers}', stream = '${stream}', subject = '${prefix}.*'`);
  writeFileSync(job, sql);
  const member = await GroupMember.join(job, { group: options.group ?? 'shop', servers });
  try {
    for (const o of ORDERS) {
      const written = await member.insert('orders', [{ customer: o.customer, amount: o.amount, ts: new Date(T0 + o.minute * 60_000) }]);
      const [t] = await member.query('SELECT orders, spent FROM totals WHERE customer = ?', [o.customer], { after: { orders: written } });
      log(`customer ${o.customer} ordered ${o.amount}: ${t!['orders']} orders, ${t!['spent']} spent`);
    }
    return await member.query('SELECT customer, orders, spent FROM totals ORDER BY customer');
  } finally {
    await member.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const servers = arg('--servers');
  const group = arg('--group');
  const totals = await runShop((line) => console.log(line), { ...(servers && { servers }), ...(group && { group }) });
  console.log(JSON.stringify(totals));
}
