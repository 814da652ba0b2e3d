/**
 * What a scale-out group accepts and refuses (SPEC 8), which columns it repartitions by,
 * the per-task rewrite of a job, and the assignment of tasks to members. Nothing here connects to NATS: jobs
 * are checked like `sluice run` checks them, without opening a connector.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { assignPartitions } from '../../src/group/assignment.js';
import { planGroupJob } from '../../src/group/group-job.js';
import { groupNames } from '../../src/group/group-names.js';
import { SluiceError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-group-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;

const ORDERS = `CREATE SOURCE orders (k BIGINT, c BIGINT, v DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (connector = 'nats', stream = 'S', subject = 'orders.*', partitions = 4, key = 'k');`;
const PAYMENTS = (partitions: number, key: string) => `CREATE SOURCE payments (k BIGINT, amount DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts)
  WITH (connector = 'nats', stream = 'P', subject = 'payments.*', partitions = ${partitions}, key = '${key}');`;
const SINK = (view: string) => `CREATE SINK out_${view} FROM ${view} WITH (connector = 'postgres', url = 'postgres://x@localhost/db', table = 't_${view}');`;

function plan(sql: string) {
  const file = join(dir, `job${count++}.sql`);
  writeFileSync(file, sql);
  return planGroupJob([file], groupNames('g'));
}

async function refusal(sql: string): Promise<SluiceError> {
  const e = await plan(sql).then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(SluiceError);
  return e as SluiceError;
}

describe('scale-out group jobs', () => {
  it.each([
    ['GROUP BY the key', `CREATE MATERIALIZED VIEW v AS SELECT k, SUM(v) AS s FROM orders GROUP BY k;`],
    ['a window per key', `CREATE MATERIALIZED VIEW v AS SELECT k, window_start, COUNT(*) AS n FROM TUMBLE(orders, ts, INTERVAL '1' SECOND) GROUP BY k, window_start, window_end EMIT ON WINDOW CLOSE;`],
    ['a filter and projection', `CREATE MATERIALIZED VIEW v AS SELECT k AS key, v * 2 AS dbl FROM orders WHERE v > 1;`],
    ['a top-N per key', `CREATE MATERIALIZED VIEW v AS SELECT k, v FROM (SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM orders) WHERE rn <= 3;`],
    ['a view over a keyed view', `CREATE MATERIALIZED VIEW w AS SELECT k AS kk, SUM(v) AS s FROM orders GROUP BY k; CREATE MATERIALIZED VIEW v AS SELECT kk, s FROM w WHERE s > 10;`],
    ['a join of co-partitioned sources on their keys', `${PAYMENTS(4, 'k')} CREATE MATERIALIZED VIEW v AS SELECT o.k, COUNT(*) AS n FROM orders o JOIN payments p ON o.k = p.k GROUP BY o.k;`],
  ])('runs %s per partition', async (_what, body) => {
    const job = await plan(`${ORDERS}\n${body}\n${SINK('v')}`);
    expect(job.partitions).toBe(4);
    expect(job.repartitions).toBe(0);
    expect(job.tasks).toHaveLength(4);
  });

  it('follows the key through a join that outputs fewer columns than it reads', async () => {
    // The join outputs only o.c (its keys are left out): GROUP BY o.c is not by the key.
    const sql = `${ORDERS}\n${PAYMENTS(4, 'k')} CREATE MATERIALIZED VIEW v AS SELECT o.c, COUNT(*) AS n FROM orders o JOIN payments p ON o.k = p.k GROUP BY o.c;\n${SINK('v')}`;
    const job = await plan(sql).catch((x: unknown) => x);
    if (!(job instanceof SluiceError)) expect((job as Awaited<ReturnType<typeof plan>>).repartitions).toBeGreaterThan(0);
    // And the key output at another position than it has in left ++ right is still the key.
    const keyed = await plan(`${ORDERS}\n${PAYMENTS(4, 'k')} CREATE MATERIALIZED VIEW v AS SELECT p.k, SUM(o.v) AS s FROM orders o JOIN payments p ON o.k = p.k GROUP BY p.k;\n${SINK('v')}`);
    expect(keyed.repartitions).toBe(0);
  });

  it.each([
    ['GROUP BY another column', `CREATE MATERIALIZED VIEW v AS SELECT c, SUM(v) AS s FROM orders GROUP BY c;`, { orders: 'c' }],
    ['a window per another column', `CREATE MATERIALIZED VIEW v AS SELECT c, window_start, COUNT(*) AS n FROM TUMBLE(orders, ts, INTERVAL '1' SECOND) GROUP BY c, window_start, window_end;`, { orders: 'c' }],
    ['an OVER partitioned by another column', `CREATE MATERIALIZED VIEW v AS SELECT k, SUM(v) OVER (PARTITION BY c ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s FROM orders;`, { orders: 'c' }],
    ['a join on a non-key column', `${PAYMENTS(4, 'k')} CREATE MATERIALIZED VIEW v AS SELECT o.k, p.amount FROM orders o JOIN payments p ON o.c = p.k;`, { orders: 'c', payments: 'k' }],
    ['a join on non-key columns of both sides, then GROUP BY the join column', `${PAYMENTS(4, 'k')} CREATE MATERIALIZED VIEW v AS SELECT o.c, COUNT(*) AS n FROM orders o JOIN payments p ON o.c = CAST(p.amount AS BIGINT) GROUP BY o.c;`, null],
    ['two views on the same other column', `CREATE MATERIALIZED VIEW w AS SELECT c, COUNT(*) AS n FROM orders GROUP BY c; CREATE MATERIALIZED VIEW v AS SELECT c, MAX(v) AS m FROM orders GROUP BY c;`, { orders: 'c' }],
  ])('repartitions %s', async (_what, body, by) => {
    const sql = `${ORDERS}\n${body}\n${SINK('v')}`;
    if (by === null) {
      // A join key computed by an expression is no source column: nothing to repartition by.
      expect((await refusal(sql)).message).toMatch(/join is not on both sides' partition keys.*no repartitioning/);
      return;
    }
    const job = await plan(sql);
    expect(job.repartitions).toBe(4);
    expect(job.tasks.map((t) => `${t.stage}${t.index}`)).toEqual(['source0', 'source1', 'source2', 'source3', 'repartition0', 'repartition1', 'repartition2', 'repartition3']);
    expect(Object.fromEntries(job.sources.map((s) => [s.name, s.repartition?.column]))).toEqual(by);
    expect(job.sources[0]!.repartition!.stream).toBe('sluice_g_orders_repart');
  });

  it('repartitions every stateful query of a source without a key, and none that is stateless', async () => {
    const nokey = ORDERS.replace(", key = 'k'", '');
    expect((await plan(`${nokey}\nCREATE MATERIALIZED VIEW v AS SELECT k, v FROM orders WHERE v > 1;\n${SINK('v')}`)).repartitions).toBe(0);
    const job = await plan(`${nokey}\nCREATE MATERIALIZED VIEW v AS SELECT k, SUM(v) AS s FROM orders GROUP BY k;\n${SINK('v')}`);
    expect(job.sources[0]!.repartition!.column).toBe('k');
  });

  it('takes the repartition count from the sources\' repartitions option, alike for all', async () => {
    const two = ORDERS.replace("key = 'k'", "key = 'k', repartitions = 2");
    const job = await plan(`${two}\nCREATE MATERIALIZED VIEW v AS SELECT c, SUM(v) AS s FROM orders GROUP BY c;\n${SINK('v')}`);
    expect(job.repartitions).toBe(2);
    expect(job.tasks).toHaveLength(6);
    const e = await refusal(`${two}\n${PAYMENTS(4, 'k').replace("key = 'k'", "key = 'k', repartitions = 3")}\nCREATE MATERIALIZED VIEW v AS SELECT c, SUM(v) AS s FROM orders GROUP BY c;`);
    expect(e.message).toMatch(/source 'payments' asks for 3 repartitions and source 'orders' for 2/);
  });

  it('refuses views that need different repartition columns of one source, naming the one no choice fits', async () => {
    const e = await refusal(`${ORDERS}
      CREATE MATERIALIZED VIEW w AS SELECT c, COUNT(*) AS n FROM orders GROUP BY c;
      CREATE MATERIALIZED VIEW v AS SELECT v, COUNT(*) AS n FROM orders GROUP BY v;`);
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(/view 'v' cannot run in a scale-out group: its GROUP BY does not include the source's key.*no repartitioning of each source by one of its columns keys every stateful query/);
    expect(e.line).toBe(4);
  });

  it.each([
    ['a window without any key', `CREATE MATERIALIZED VIEW v AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(orders, ts, INTERVAL '1' SECOND) GROUP BY window_start, window_end;`, /view 'v' cannot run in a scale-out group: its windowed GROUP BY does not include the source's key.*no repartitioning/],
    ['a GROUP BY a computed key', `CREATE MATERIALIZED VIEW v AS SELECT c + 1 AS c1, COUNT(*) AS n FROM orders GROUP BY c + 1;`, /its GROUP BY does not include the source's key.*no repartitioning/],
    ['a global ORDER BY LIMIT', `CREATE MATERIALIZED VIEW v AS SELECT k, v FROM orders ORDER BY v DESC LIMIT 3;`, /ORDER BY … LIMIT over the whole stream/],
    ['sources with other partition counts', `${PAYMENTS(3, 'k')} CREATE MATERIALIZED VIEW v AS SELECT k FROM orders;`, /must be co-partitioned/],
    ['a top-level SELECT', `SELECT k FROM orders;`, /cannot print its results in a scale-out group/],
  ])('refuses %s, saying why', async (_what, body, message) => {
    const e = await refusal(`${ORDERS}\n${body}`);
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(message);
    expect(e.line).toBeGreaterThan(2);
  });

  it('refuses sources that are not partitioned nats sources', async () => {
    const file = await refusal(`CREATE SOURCE f (k BIGINT) WITH (connector = 'file', path = 'x.jsonl', format = 'jsonl');`);
    expect(file.message).toMatch(/source 'f' reads connector 'file': in a scale-out group every source is a nats source/);
    const api = await refusal(`CREATE SOURCE f (k BIGINT);`);
    expect(api.message).toMatch(/source 'f' is fed by INSERT/);
    const whole = await refusal(`CREATE SOURCE o (k BIGINT) WITH (connector = 'nats', stream = 'S', subject = 'orders');`);
    expect(whole.message).toMatch(/needs subject = '<prefix>.\*' and partitions = N/);
  });

  it('rewrites the job per partition: its subject, consumer and sink positions', async () => {
    const job = await plan(`${ORDERS}\nCREATE MATERIALIZED VIEW v AS SELECT k, SUM(v) AS s FROM orders GROUP BY k;\n${SINK('v')}
      CREATE SINK n FROM v WITH (connector = 'nats', stream = 'OUT', subject = 'out');`);
    const ctx = { incarnation: 'abc', servers: 'nats://h:4222' };
    const [s] = job.scripts({ stage: 'source', index: 2 }, ctx);
    expect(s!.sql).toContain(`subject = 'orders.2', partitions = 4, key = 'k', consumer = 'sluice_g_orders_2')`);
    expect(s!.sql).toContain(`table = 't_v', partition = '2')`);
    expect(s!.sql).toContain(`subject = 'out', msg_id_prefix = 'g.abc.n.2')`);
    expect(job.scripts({ stage: 'source', index: 0 }, ctx)[0]!.sql).toContain(`subject = 'orders.0'`);
  });

  it('rewrites a repartitioned job into a source stage publishing to the repartition stream and a stage reading it', async () => {
    const job = await plan(`${ORDERS.replace("key = 'k'", "key = 'k', idle_timeout = '2 seconds'")}
      SET checkpoint_interval = '500 milliseconds';
      CREATE MATERIALIZED VIEW v AS SELECT c, SUM(v) AS s FROM orders GROUP BY c;\n${SINK('v')}`);
    expect(job.checkpointMs).toBe(500);
    const ctx = { incarnation: 'abc', servers: 'nats://h:4222' };
    const up = job.scripts({ stage: 'source', index: 1 }, ctx)[0]!.sql;
    expect(up).toContain(`subject = 'orders.1', partitions = 4, key = 'k', idle_timeout = '2 seconds', consumer = 'sluice_g_orders_1')`);
    expect(up).toContain(`SET checkpoint_interval = '500 milliseconds';`);
    expect(up).not.toContain('MATERIALIZED VIEW');
    expect(up).not.toContain('out_v');
    expect(up).toContain(
      `CREATE SINK "orders__repartition" FROM "orders" WITH (connector = 'nats', servers = 'nats://h:4222', stream = 'sluice_g_orders_repart', subject = 'sluice_g_orders_repart', partitions = 4, key = 'c', subject_suffix = '1', msg_id_prefix = 'g.abc.repart.orders.1', publish = 'change');`,
    );
    const down = job.scripts({ stage: 'repartition', index: 3 }, ctx)[0]!.sql;
    expect(down).toContain(
      `WITH (connector = 'nats', idle_timeout = '2 seconds', servers = 'nats://h:4222', stream = 'sluice_g_orders_repart', subject = 'sluice_g_orders_repart.3.*', partitions = 4, key = 'c', consumer = 'sluice_g_orders_repart_3', repartition = true);`,
    );
    expect(down).toContain('CREATE MATERIALIZED VIEW v');
    expect(down).toContain(`table = 't_v', partition = 'r3')`);
  });

  it('assigns every partition to exactly one live member, the same way in every member, evenly', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 24 }), (members, count) => {
        const a = assignPartitions(members, count);
        const b = assignPartitions([...members].reverse(), count);
        expect([...a]).toEqual([...b]);
        expect(a.size).toBe(count);
        const per = new Map<string, number>();
        for (const m of a.values()) {
          expect(members).toContain(m);
          per.set(m, (per.get(m) ?? 0) + 1);
        }
        const loads = members.map((m) => per.get(m) ?? 0);
        expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});
