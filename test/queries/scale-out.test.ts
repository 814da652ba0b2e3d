/**
 * queries/scale-out/, the shop's order service as a group member: against the machine's real
 * NATS server it takes its orders and, after each, reads the customer's totals with
 * read-your-writes, printing exactly the log below, while a `sluice run … --group` process
 * running the same orders.sql owns half of the partitions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runShop } from '../../queries/scale-out/app.js';
import { SERVERS } from '../connectors/nats-helpers.js';
import { stable, startMember, stopAll, untilStatus, useGroupTestEnv } from '../group/group-helpers.js';

const tag = `shop${process.pid}`;
const env = useGroupTestEnv(tag);

describe('queries/scale-out', () => {
  it('reads its own orders back while another member owns half the partitions', async () => {
    const stream = `T${process.pid}_SHOP`;
    const prefix = `t${process.pid}.shop`;
    env.nats.streams.add(stream);
    await env.nats.jsm.streams.add({ name: stream, subjects: [`${prefix}.*`] });
    const group = `${tag}_g`;
    env.groups.push(group);
    const sql = readFileSync(fileURLToPath(new URL('../../queries/scale-out/orders.sql', import.meta.url)), 'utf8');
    const job = join(env.dir, 'orders.sql');
    writeFileSync(job, sql.replace("stream = 'ORDERS', subject = 'orders.*'", `servers = '${SERVERS}', stream = '${stream}', subject = '${prefix}.*'`));
    const other = startMember(job, group, join(env.dir, 'other.duckdb'));
    env.members.push(other);
    await other.id;
    await untilStatus(group, 'the CLI member to own every partition', stable(1));
    const lines: string[] = [];
    const totals = await runShop((l) => lines.push(l), { servers: SERVERS, group, stream, prefix });
    expect(lines).toEqual([
      'customer 1 ordered 19.90: 1 orders, 19.90 spent',
      'customer 2 ordered 5.00: 1 orders, 5.00 spent',
      'customer 1 ordered 42.10: 2 orders, 62.00 spent',
      'customer 3 ordered 7.25: 1 orders, 7.25 spent',
      'customer 2 ordered 12.00: 2 orders, 17.00 spent',
    ]);
    expect(totals).toEqual([
      { customer: 1, orders: 2, spent: '62.00' },
      { customer: 2, orders: 2, spent: '17.00' },
      { customer: 3, orders: 1, spent: '7.25' },
    ]);
    await stopAll([other]);
  });
});
