/**
 * Repartitioning in a scale-out group (SPEC 8): a job grouped by a column other than its
 * source's declared key runs in two stages through the group's repartition stream, as
 * Kafka Streams does through a repartition topic. Its Postgres read models equal DuckDB's
 * batch result over all events — with two members, across a kill -9 of one of them — and
 * windows close only once every upstream partition has passed them (each repartition
 * partition's watermark is the minimum over the upstream partitions, moved by their
 * watermark messages where they sent no rows). Real NATS, PostgreSQL and DuckDB.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fnv1a } from '../../src/connectors/nats/nats-sink.js';
import { deleteGroup } from '../../src/group/group-delete.js';
import { groupNames } from '../../src/group/group-names.js';
import { GroupStore } from '../../src/group/group-store.js';
import { publish, readAll, SERVERS, stream } from '../connectors/nats-helpers.js';
import { useDuck } from '../exec/operators/duck.js';
import { PG_URL, settled, stable, startMember, stopAll, untilStatus, useGroupTestEnv, type MemberProcess } from './group-helpers.js';

const tag = `rp${process.pid}`;
const BASE = Date.UTC(2024, 0, 1);
const env = useGroupTestEnv(tag);
const duckdb = useDuck();

interface Event {
  readonly p: number;
  readonly k: number;
  readonly c: number;
  readonly v: number;
  readonly ms: number;
}

/** A job keyed by `k` whose views group by `c`: both must be repartitioned. */
function job(src: { stream: string; prefix: string }, partitions: number, run: string): string {
  const file = join(env.dir, `${run}.sql`);
  writeFileSync(
    file,
    `CREATE SOURCE orders (k BIGINT, c BIGINT, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
       WITH (connector = 'nats', servers = '${SERVERS}', stream = '${src.stream}', subject = '${src.prefix}.*', partitions = ${partitions}, key = 'k');
     SET checkpoint_interval = '500 milliseconds';
     CREATE MATERIALIZED VIEW by_c AS SELECT c, SUM(v) AS s, COUNT(*) AS n FROM orders GROUP BY c;
     CREATE MATERIALIZED VIEW per_second AS
       SELECT c, window_start, COUNT(*) AS n, SUM(v) AS s FROM TUMBLE(orders, ts, INTERVAL '1' SECOND) GROUP BY c, window_start, window_end
       EMIT ON WINDOW CLOSE;
     CREATE SINK ${tag}_${run}_by_c FROM by_c WITH (connector = 'postgres', url = '${PG_URL}', table = '${tag}_${run}_by_c');
     CREATE SINK ${tag}_${run}_windows FROM per_second WITH (connector = 'postgres', url = '${PG_URL}', table = '${tag}_${run}_windows');`,
  );
  return file;
}

/** Events from..to-1: key k picks the partition, c is unrelated to k; 10 ms apart, in order per partition. */
function spread(partitions: number, from: number, to: number): Event[] {
  const out: Event[] = [];
  for (let i = from; i < to; i++) {
    const k = (i * 7919) % 40;
    out.push({ p: k % partitions, k, c: (i * 31) % 7, v: i % 100, ms: i * 10 });
  }
  return out;
}

function send(prefix: string, streamName: string, evs: readonly Event[]): Promise<void> {
  return publish(
    env.nats,
    streamName,
    evs.map((e) => [`${prefix}.${e.p}`, JSON.stringify({ k: e.k, c: e.c, v: e.v, ts: new Date(BASE + e.ms).toISOString() })] as [string, string]),
  );
}

const num = (x: unknown) => (x instanceof Date ? x.getTime() : Number(x));

async function table(name: string, cols: string): Promise<string[]> {
  const r = await env.client.query(`SELECT ${cols} FROM "${name}"`);
  return r.rows.map((row: Record<string, unknown>) => JSON.stringify(Object.values(row).map(num))).sort();
}

/** DuckDB's batch answer over `evs`: totals per c, and the 1 s windows the watermark has closed. */
async function oracle(evs: readonly Event[]): Promise<{ byC: string[]; windows: string[] }> {
  await duckdb().run(`CREATE OR REPLACE TABLE ev (p INTEGER, c BIGINT, v BIGINT, ts TIMESTAMP)`);
  const values = evs.map((e) => `(${e.p}, ${e.c}, ${e.v}, make_timestamp(${(BASE + e.ms) * 1000}))`);
  for (let i = 0; i < values.length; i += 1000) await duckdb().run(`INSERT INTO ev VALUES ${values.slice(i, i + 1000).join(', ')}`);
  const rows = async (sql: string) =>
    ((await duckdb().runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]).map((r) => JSON.stringify(Object.values(r).map((v) => (typeof v === 'bigint' ? Number(v) : num(v))))).sort();
  const byC = await rows(`SELECT c, SUM(v), COUNT(*) FROM ev GROUP BY c`);
  // Every partition's largest event time minus the delay: a window closes when the watermark reaches its end.
  const windows = await rows(`
    WITH w AS (SELECT MIN(m) - INTERVAL 1 SECOND AS wm FROM (SELECT MAX(ts) AS m FROM ev GROUP BY p))
    SELECT c, time_bucket(INTERVAL 1 SECOND, ts) AS ws, COUNT(*), SUM(v) FROM ev, w
    GROUP BY c, ws, wm HAVING ws + INTERVAL 1 SECOND <= wm`);
  return { byC, windows };
}

async function results(run: string): Promise<{ byC: string[]; windows: string[] }> {
  return {
    byC: await table(`${tag}_${run}_by_c`, 'c, s, n'),
    windows: await table(`${tag}_${run}_windows`, 'c, window_start, n, s'),
  };
}

/** A source stream, a group and the job file of one test, named `name`. */
async function setUp(name: string, partitions: number): Promise<{ src: { stream: string; prefix: string }; g: string; file: string }> {
  const src = await stream(env.nats, `rp${name}`);
  const g = `${tag}_${name}`;
  env.groups.push(g);
  return { src, g, file: job(src, partitions, name) };
}

describe('repartitioning in a scale-out group', () => {
  it('groups by a non-key column with two members, equal to DuckDB over all events, across a kill -9', async () => {
    const P = 4;
    const { src, g, file } = await setUp('two', P);
    const two = [0, 1].map((i) => startMember(file, g, join(env.dir, `two${i}.duckdb`)));
    env.members.push(...two);
    const ids = await Promise.all(two.map((m) => m.id));
    const s0 = await untilStatus(g, 'two members sharing source and repartition partitions', stable(2));
    expect(s0.partitions.filter((p) => p.stage === 'repartition').map((p) => p.partition)).toEqual([0, 1, 2, 3]);
    expect(s0.partitions.find((p) => p.stage === 'repartition')!.stream).toBe(`sluice_${g}_orders_repart`);

    const all = spread(P, 0, 3000);
    for (let c = 0; c < 4; c++) {
      await send(src.prefix, src.stream, all.slice(c * 250, (c + 1) * 250));
      await new Promise((r) => setTimeout(r, 200));
    }
    // Kill the member owning repartition partition 0 once it has checkpointed some of it.
    const before = await untilStatus(g, 'checkpoints', (s) => stable(2)(s) && s.partitions.every((p) => p.watermark !== null));
    const victim = before.partitions.find((p) => p.stage === 'repartition' && p.partition === 0)!.owner!;
    const vi = ids.indexOf(victim);
    two[vi]!.child.kill('SIGKILL');
    const killedAt = Date.now();
    for (let c = 4; c < 12; c++) await send(src.prefix, src.stream, all.slice(c * 250, (c + 1) * 250));
    const survivor = ids[1 - vi]!;
    await untilStatus(g, 'the survivor owning every task', (s) => s.partitions.every((p) => p.owner === survivor), 15_000);
    const rebalanceMs = Date.now() - killedAt;
    expect(rebalanceMs).toBeLessThan(10_000);
    await untilStatus(g, 'the survivor to catch up', settled([survivor]), 60_000);
    await stopAll([two[1 - vi]!]);

    const want = await oracle(all);
    const got = await results('two');
    expect(want.byC.length).toBe(7);
    expect(want.windows.length).toBeGreaterThan(7 * 25);
    expect(got.byC).toEqual(want.byC);
    expect(got.windows).toEqual(want.windows);
    // Every row went through the repartition stream once, whatever the replays after the kill.
    const repart = (await readAll(env.nats, `sluice_${g}_orders_repart`)).filter((m) => Object.keys(m.json).length > 0);
    expect(repart.length).toBe(all.length);
    console.log(`repartitioned job: rebalance after kill -9 ${rebalanceMs} ms; ${got.windows.length} windows`);
  }, 180_000);

  it('replays both stages from older snapshots without doubling a row in the repartition stream or the sinks', async () => {
    const P = 2;
    const { src, g, file } = await setUp('replay', P);
    const all = spread(P, 0, 1500);
    const store = await GroupStore.open([SERVERS], groupNames(g));
    try {
      const a = startMember(file, g, join(env.dir, 'ra.duckdb'));
      env.members.push(a);
      const aId = await a.id;
      await send(src.prefix, src.stream, all.slice(0, 500));
      await untilStatus(g, 'the first third', settled([aId]));
      const tasks = [0, 1].flatMap((i) => [{ stage: 'source' as const, index: i }, { stage: 'repartition' as const, index: i }]);
      const older = await Promise.all(tasks.map(async (t) => ({ t, blob: (await store.getSnapshot(t))!, meta: (await store.snapshotMeta(t))! })));
      await send(src.prefix, src.stream, all.slice(500, 1000));
      await untilStatus(g, 'the second third', settled([aId]));
      // The member dies, and its snapshots are as if it had died before uploading the last
      // ones: the source stage publishes the second third to the repartition stream again,
      // the stateful stage applies it to the sinks again.
      a.child.kill('SIGKILL');
      await a.exited;
      for (const o of older) await store.putSnapshot(o.t, o.blob, o.meta);
      const b = startMember(file, g, join(env.dir, 'rb.duckdb'));
      env.members.push(b);
      const bId = await b.id;
      await send(src.prefix, src.stream, all.slice(1000));
      await untilStatus(g, 'the new member to catch up', settled([bId]), 60_000);
      expect(b.stderr()).toMatch(/took repartition 0 \(epoch 2\) after \S+ from its snapshot/);
      await stopAll([b]);
    } finally {
      await store.close();
    }
    const want = await oracle(all);
    const got = await results('replay');
    expect(got.byC).toEqual(want.byC);
    expect(got.windows).toEqual(want.windows);
    const repart = (await readAll(env.nats, `sluice_${g}_orders_repart`)).filter((m) => Object.keys(m.json).length > 0);
    expect(repart.length).toBe(all.length);
  }, 180_000);

  it('joins two nats sources on a non-key column with two members, equal to DuckDB', async () => {
    const P = 2;
    const orders = await stream(env.nats, 'rpjo');
    const payments = await stream(env.nats, 'rpjp');
    const g = `${tag}_join`;
    env.groups.push(g);
    const file = join(env.dir, 'join.sql');
    // orders are keyed by k and payments by id: the join on orders.c = payments.c matches
    // rows of different partitions until both are repartitioned by c.
    writeFileSync(
      file,
      `CREATE SOURCE orders (k BIGINT, c BIGINT, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
         WITH (connector = 'nats', servers = '${SERVERS}', stream = '${orders.stream}', subject = '${orders.prefix}.*', partitions = ${P}, key = 'k');
       CREATE SOURCE payments (id BIGINT, c BIGINT, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
         WITH (connector = 'nats', servers = '${SERVERS}', stream = '${payments.stream}', subject = '${payments.prefix}.*', partitions = ${P}, key = 'id');
       SET checkpoint_interval = '500 milliseconds';
       CREATE MATERIALIZED VIEW matched AS
         SELECT o.c, COUNT(*) AS n, SUM(o.v * p.amount) AS s FROM orders o JOIN payments p ON o.c = p.c GROUP BY o.c;
       CREATE SINK ${tag}_join_matched FROM matched WITH (connector = 'postgres', url = '${PG_URL}', table = '${tag}_join_matched');`,
    );
    const two = [0, 1].map((i) => startMember(file, g, join(env.dir, `join${i}.duckdb`)));
    env.members.push(...two);
    const ids = await Promise.all(two.map((m) => m.id));
    const s0 = await untilStatus(g, 'two members sharing the tasks', stable(2));
    expect(new Set(s0.partitions.filter((p) => p.stage === 'repartition').map((p) => p.stream))).toEqual(new Set([`sluice_${g}_orders_repart`, `sluice_${g}_payments_repart`]));
    const os = spread(P, 0, 600);
    const ps = Array.from({ length: 300 }, (_, i) => ({ id: i, c: (i * 13) % 9, amount: i % 10, ms: i * 20 }));
    await send(orders.prefix, orders.stream, os);
    await publish(
      env.nats,
      payments.stream,
      ps.map((x) => [`${payments.prefix}.${x.id % P}`, JSON.stringify({ id: x.id, c: x.c, amount: x.amount, ts: new Date(BASE + x.ms).toISOString() })] as [string, string]),
    );
    await untilStatus(g, 'both members to catch up', settled(ids), 60_000);
    await stopAll(two);

    await duckdb().run(`CREATE OR REPLACE TABLE o (c BIGINT, v BIGINT)`);
    await duckdb().run(`INSERT INTO o VALUES ${os.map((e) => `(${e.c}, ${e.v})`).join(', ')}`);
    await duckdb().run(`CREATE OR REPLACE TABLE p (c BIGINT, amount BIGINT)`);
    await duckdb().run(`INSERT INTO p VALUES ${ps.map((x) => `(${x.c}, ${x.amount})`).join(', ')}`);
    const want = ((await duckdb().runAndReadAll(`SELECT o.c, COUNT(*), SUM(o.v * p.amount) FROM o JOIN p ON o.c = p.c GROUP BY o.c`)).getRowObjectsJS() as Record<string, unknown>[])
      .map((r) => JSON.stringify(Object.values(r).map(Number)))
      .sort();
    expect(want.length).toBe(7);
    expect(await table(`${tag}_join_matched`, 'c, n, s')).toEqual(want);
  }, 180_000);

  it('closes a window only when every upstream partition has passed it', async () => {
    const { src, g, file } = await setUp('wm', 2);
    const m = startMember(file, g, join(env.dir, 'wm.duckdb'));
    env.members.push(m);
    const id = await m.id;
    await untilStatus(g, 'the member to own every task', stable(1));

    // Partition 0 runs 10 s ahead; partition 1 has sent nothing: no window may close yet.
    const q = (c: number) => fnv1a(JSON.stringify([c])) % 2;
    const cs = [0, 1, 2, 3, 4, 5, 6];
    const x = cs.find((c) => q(c) === 0)!;
    const others = cs.filter((c) => q(c) === 1);
    const first: Event[] = [];
    for (let i = 0; i < 100; i++) first.push({ p: 0, k: 0, c: cs[i % cs.length]!, v: i, ms: 100 * i });
    await send(src.prefix, src.stream, first);
    await untilStatus(g, 'partition 0 consumed', settled([id]));
    await new Promise((r) => setTimeout(r, 1500));
    expect((await env.client.query(`SELECT COUNT(*)::int AS n FROM "${tag}_wm_windows"`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n).toBe(0);

    // Partition 1 starts at 0.5 s (not late: it held every window open), then sends rows
    // only for keys of repartition partition 1: partition 0 of the repartition stream
    // learns of its progress from watermark messages alone.
    const second: Event[] = [{ p: 1, k: 1, c: x, v: 7, ms: 500 }];
    for (let i = 1; i <= 100; i++) second.push({ p: 1, k: 1, c: others[i % others.length]!, v: i, ms: 100 * i });
    await send(src.prefix, src.stream, second);
    await untilStatus(g, 'partition 1 consumed', settled([id]));
    await new Promise((r) => setTimeout(r, 1500));
    await untilStatus(g, 'settled again', settled([id]));
    await stopAll([m]);

    const want = await oracle([...first, ...second]);
    const got = await results('wm');
    expect(got.byC).toEqual(want.byC);
    expect(got.windows).toEqual(want.windows);
    // Repartition partition 0 closed windows of key x though upstream partition 1 sent it one early row only.
    expect(got.windows.filter((w) => JSON.parse(w)[0] === x).length).toBeGreaterThan(5);
    expect(await deleteGroup(g, [SERVERS])).toContain(`stream sluice_${g}_orders_repart`);
  }, 120_000);
});
