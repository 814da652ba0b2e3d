/**
 * kill -9 of a group member mid-stream (SPEC 8): its partitions are owned by the survivors
 * within 10 s, they restore the partitions' snapshots and resume from the checkpointed
 * sequences, and the outputs — a postgres table kept by upserts, a postgres table of an
 * append-only view, and a nats subject — end exactly as in a single-process run over the
 * same stream. Real NATS and PostgreSQL; a missing server fails the test.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupNames } from '../../src/group/group-names.js';
import { GroupStore } from '../../src/group/group-store.js';
import { publish, readAll, SERVERS, stream } from '../connectors/nats-helpers.js';
import { PG_URL, settled, stable, startMember, stopAll, untilStatus, useGroupTestEnv, type MemberProcess } from './group-helpers.js';

const tag = `g${process.pid}`;
const PARTITIONS = 4;
const KEYS = 40;
const EVENTS = 8000;
const env = useGroupTestEnv(tag);

function job(src: { stream: string; prefix: string }, out: { stream: string; prefix: string }, run: string): string {
  const file = join(env.dir, `${run}.sql`);
  writeFileSync(
    file,
    `CREATE SOURCE orders (k BIGINT, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
       WITH (connector = 'nats', servers = '${SERVERS}', stream = '${src.stream}', subject = '${src.prefix}.*', partitions = ${PARTITIONS}, key = 'k');
     CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(v) AS s, COUNT(*) AS c, MAX(ts) AS last_ts FROM orders GROUP BY k;
     CREATE MATERIALIZED VIEW per_second AS
       SELECT k, window_start, COUNT(*) AS c, SUM(v) AS s FROM TUMBLE(orders, ts, INTERVAL '1' SECOND) GROUP BY k, window_start, window_end
       EMIT ON WINDOW CLOSE;
     CREATE SINK ${tag}_${run}_totals FROM totals WITH (connector = 'postgres', url = '${PG_URL}', table = '${tag}_${run}_totals');
     CREATE SINK ${tag}_${run}_windows FROM per_second WITH (connector = 'postgres', url = '${PG_URL}', table = '${tag}_${run}_windows');
     CREATE SINK ${tag}_${run}_out FROM per_second WITH (connector = 'nats', servers = '${SERVERS}', stream = '${out.stream}', subject = '${out.prefix}.all');`,
  );
  return file;
}

/** Events from..to-1: key spread over the partitions, 10 ms of event time apart, in order per partition. */
function events(prefix: string, from: number, to: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = from; i < to; i++) {
    const k = (i * 7919) % KEYS;
    out.push([`${prefix}.${k % PARTITIONS}`, JSON.stringify({ k, v: (i * 31) % 100, ts: new Date(Date.UTC(2024, 0, 1) + i * 10).toISOString() })]);
  }
  return out;
}

async function table(name: string): Promise<string[]> {
  const r = await env.client.query(`SELECT * FROM "${name}"`);
  return r.rows.map((row) => JSON.stringify(Object.values(row).map((v) => (v instanceof Date ? v.toISOString() : String(v))))).sort();
}

async function outputs(streamName: string): Promise<{ payloads: string[]; ids: string[] }> {
  const msgs = await readAll(env.nats, streamName);
  return { payloads: msgs.map((m) => JSON.stringify(m.json)).sort(), ids: msgs.map((m) => m.id ?? '') };
}

describe('scale-out group across kill -9', () => {
  it('moves a killed member\'s partitions to the survivors within 10 s and ends exactly as one process', async () => {
    const src = await stream(env.nats, 'orders');
    const outGroup = await stream(env.nats, 'outg');
    const outSingle = await stream(env.nats, 'outs');
    const chunk = (from: number, to: number) => publish(env.nats, src.stream, events(src.prefix, from, to));

    // Three members; the job runs while events arrive.
    const g = `${tag}_three`;
    env.groups.push(g);
    const file = job(src, outGroup, 'g3');
    const three = [0, 1, 2].map((i) => startMember(file, g, join(env.dir, `m${i}.duckdb`)));
    env.members.push(...three);
    const ids = await Promise.all(three.map((m) => m.id));
    await untilStatus(g, 'three members sharing the partitions', stable(3));
    for (let c = 0; c < 8; c++) {
      await chunk(c * 500, (c + 1) * 500);
      await new Promise((r) => setTimeout(r, 150));
    }
    // Kill the member owning partition 0 once it has checkpointed some of it.
    const before = await untilStatus(g, 'checkpoints', (s) => stable(3)(s) && s.partitions.some((p) => p.lag < 1000));
    const victim = before.partitions.find((p) => p.partition === 0)!.owner!;
    const vi = ids.indexOf(victim);
    three[vi]!.child.kill('SIGKILL');
    const killedAt = Date.now();
    for (let c = 8; c < EVENTS / 500; c++) await chunk(c * 500, (c + 1) * 500);
    const survivors = ids.filter((id) => id !== victim);
    await untilStatus(g, 'survivors owning every partition', (s) => s.partitions.every((p) => p.owner !== null && survivors.includes(p.owner)), 15_000);
    const rebalanceMs = Date.now() - killedAt;
    expect(rebalanceMs).toBeLessThan(10_000);
    await untilStatus(g, 'the survivors to catch up', settled(survivors));
    await stopAll(three.filter((_, i) => i !== vi));

    // The same job in one process, over the whole stream.
    const g1 = `${tag}_one`;
    env.groups.push(g1);
    const one = startMember(job(src, outSingle, 'g1'), g1, join(env.dir, 'single.duckdb'));
    env.members.push(one);
    const oneId = await one.id;
    await untilStatus(g1, 'the single member to catch up', settled([oneId]));
    await stopAll([one]);

    const single = { totals: await table(`${tag}_g1_totals`), windows: await table(`${tag}_g1_windows`), out: await outputs(outSingle.stream) };
    const group = { totals: await table(`${tag}_g3_totals`), windows: await table(`${tag}_g3_windows`), out: await outputs(outGroup.stream) };
    expect(single.totals.length).toBe(KEYS);
    expect(single.windows.length).toBeGreaterThan(KEYS * 50);
    expect(group.totals).toEqual(single.totals);
    expect(group.windows).toEqual(single.windows);
    expect(group.out.payloads.length).toBe(single.out.payloads.length);
    expect(group.out.payloads).toEqual(single.out.payloads);
    expect(new Set(group.out.ids).size).toBe(group.out.ids.length);
    console.log(`rebalance after kill -9: ${rebalanceMs} ms; ${group.out.payloads.length} window rows`);
  }, 120_000);

  it('replays from an older snapshot without doubling anything in the sinks', async () => {
    const src = await stream(env.nats, 'replay');
    const outGroup = await stream(env.nats, 'routg');
    const outSingle = await stream(env.nats, 'routs');
    const chunk = (from: number, to: number) => publish(env.nats, src.stream, events(src.prefix, from, to));
    const g = `${tag}_replay`;
    env.groups.push(g);
    const store = await GroupStore.open([SERVERS], groupNames(g));
    try {
      const file = job(src, outGroup, 'r');
      const a = startMember(file, g, join(env.dir, 'ra.duckdb'));
      env.members.push(a);
      const aId = await a.id;
      await chunk(0, 3000);
      await untilStatus(g, 'the first third', settled([aId]));
      const tasks = [0, 1, 2, 3].map((index) => ({ stage: 'source' as const, index }));
      const older = await Promise.all(tasks.map(async (t) => ({ blob: (await store.getSnapshot(t))!, meta: (await store.snapshotMeta(t))! })));
      await chunk(3000, 6000);
      await untilStatus(g, 'the second third', settled([aId]));
      // The member dies, and its snapshots are as if it had died before uploading the last
      // ones: everything it published and applied since is replayed by the next owner.
      a.child.kill('SIGKILL');
      await a.exited;
      for (const [i, o] of older.entries()) await store.putSnapshot(tasks[i]!, o.blob, o.meta);
      const b = startMember(file, g, join(env.dir, 'rb.duckdb'));
      env.members.push(b);
      const bId = await b.id;
      await chunk(6000, EVENTS);
      await untilStatus(g, 'the new member to catch up', settled([bId]));
      expect(b.stderr()).toMatch(/took partition 0 \(epoch 2\) after \S+ from its snapshot/);
      await stopAll([b]);
    } finally {
      await store.close();
    }
    const g1 = `${tag}_rone`;
    env.groups.push(g1);
    const one = startMember(job(src, outSingle, 'r1'), g1, join(env.dir, 'rsingle.duckdb'));
    env.members.push(one);
    await untilStatus(g1, 'the single member to catch up', settled([await one.id]));
    await stopAll([one]);

    expect(await table(`${tag}_r_totals`)).toEqual(await table(`${tag}_r1_totals`));
    expect(await table(`${tag}_r_windows`)).toEqual(await table(`${tag}_r1_windows`));
    const [group, single] = [await outputs(outGroup.stream), await outputs(outSingle.stream)];
    expect(single.payloads.length).toBeGreaterThan(KEYS * 50);
    expect(group.payloads).toEqual(single.payloads);
  }, 120_000);
});
