/**
 * `sluice bench nats`: what a NATS JetStream deployment gives. First JetStream's own
 * ceiling on this machine — publishing N events (until the stream holds them) and reading
 * them back through a pull consumer, without acks and with acks held as the source holds
 * them — then a windowed job through the nats source in one
 * process (events/s), the end-to-end latency of a per-key view (publish to change, p50/p99),
 * and scale-out groups of 2 and 3 member processes (events/s over the same stream, and how
 * long the survivors take to own a killed member's partitions), and a group of 2 whose job
 * groups by a column other than the key, so it runs through the repartition stream; last,
 * read-your-writes through a group member inside the process (insert, then a point query
 * with `after`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { Engine } from '../engine/engine.js';
import { SluiceError } from '../errors.js';
import { deleteGroup } from '../group/group-delete.js';
import { groupStatus, type GroupStatus } from '../group/group-status.js';
import { GroupMember } from '../group/group-member.js';
import { groupNames } from '../group/group-names.js';
import { GroupStore } from '../group/group-store.js';
import { cliPath } from './latency-bench.js';

export interface NatsBenchOptions {
  readonly json: boolean;
  /** Events per figure (default 500,000). */
  readonly events?: number;
  readonly servers?: string;
  /** Skip the group figures (they start member processes). */
  readonly noGroups?: boolean;
  /** The group sizes measured (default 1, 2 and 3 members), and whether the repartitioned group of 2 is (default true). */
  readonly groupSizes?: readonly number[];
  readonly repartitioned?: boolean;
  /** The latency figure's publish rate (default 20,000 events/s) and duration (default 3 s). */
  readonly latencyRate?: number;
  readonly latencySeconds?: number;
  /** Rounds of the read-your-writes figure (default 200). */
  readonly rywRounds?: number;
}

export type Figure = { readonly figure: string } & Record<string, number | string | boolean | null>;

const PARTITIONS = 4;
const KEYS = 1000;
const T0 = Date.UTC(2024, 0, 1);

function describeFigure(f: Figure): string {
  return Object.entries(f)
    .map(([k, v]) => (k === 'figure' ? String(v) : `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v)}`))
    .join('  ');
}

async function openNats(servers: string): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  try {
    const nc = await connect({ servers: servers.split(','), timeout: 5000 });
    return { nc, jsm: await jetstreamManager(nc) };
  } catch (e) {
    throw new SluiceError('CONNECTOR', `bench nats: cannot connect to NATS at ${servers}: ${(e as Error).message}`);
  }
}

/** Event i: key, value and an event time 1 ms apart, on the partition of its key. */
function event(prefix: string, i: number): [string, string] {
  const k = i % KEYS;
  return [`${prefix}.${k % PARTITIONS}`, `{"k":${k},"v":${i % 97},"ts":"${new Date(T0 + i).toISOString()}"}`];
}

async function publishAll(nc: NatsConnection, jsm: JetStreamManager, stream: string, prefix: string, n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const [s, d] = event(prefix, i);
    nc.publish(s, d);
    if (i % 10_000 === 9_999) await nc.flush();
  }
  await nc.flush();
  while ((await jsm.streams.info(stream)).state.messages < n) await new Promise((r) => setTimeout(r, 10));
  return performance.now() - t;
}

/**
 * Reads the stream back through an ordered consumer (no acks), or with `held`, through a
 * durable consumer set up as the nats source's (ack policy "all", nothing acknowledged
 * until the end, as when the acks wait for a checkpoint): the server tracks every message
 * pending, which costs it more than the reading client costs.
 */
async function consumeAll(nc: NatsConnection, jsm: JetStreamManager, stream: string, n: number, held: boolean): Promise<number> {
  const t = performance.now();
  const durable = 'sluice_bench';
  if (held) {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.All,
      ack_wait: nanos(30 * 60 * 1000),
      max_ack_pending: -1,
      deliver_policy: DeliverPolicy.All,
    });
  }
  const c = held ? await jetstream(nc).consumers.get(stream, durable) : await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  // The credit the nats source asks for, so the ceiling and the job pull alike.
  const it = await c.consume({ max_messages: 16_384 });
  let seen = 0;
  for await (const m of it) {
    if (m.data.length > 0) seen++;
    if (seen >= n) break;
  }
  await it.close();
  const ms = performance.now() - t;
  if (held) await jsm.consumers.delete(stream, durable);
  return ms;
}

function sourceSql(servers: string, stream: string, prefix: string, bounded: boolean): string {
  return `CREATE SOURCE ev (k BIGINT, v BIGINT, ts TIMESTAMP, sent DOUBLE, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'nats', servers = '${servers}', stream = '${stream}', subject = '${prefix}.*', partitions = ${PARTITIONS}, key = 'k'${bounded ? ', stop_at_end = true' : ''});`;
}

const WINDOWED = `CREATE MATERIALIZED VIEW per_second AS
  SELECT k, window_start, COUNT(*) AS n, SUM(v) AS s FROM TUMBLE(ev, ts, INTERVAL '1' SECOND) GROUP BY k, window_start, window_end EMIT ON WINDOW CLOSE;
  CREATE SINK hole FROM per_second WITH (connector = 'blackhole');`;

/** The windowed job grouped by `v`, not the source's key `k`: a group runs it in two stages through a repartition stream. */
const REPARTITIONED = `CREATE MATERIALIZED VIEW per_second AS
  SELECT v, window_start, COUNT(*) AS n, SUM(k) AS s FROM TUMBLE(ev, ts, INTERVAL '1' SECOND) GROUP BY v, window_start, window_end EMIT ON WINDOW CLOSE;
  CREATE SINK hole FROM per_second WITH (connector = 'blackhole');`;

/** CPU time (ms) a process has used, from /proc (USER_HZ = 100); null where unreadable. */
function cpuMs(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

function cpuOf(children: readonly ChildProcess[]): number | null {
  let sum = 0;
  for (const c of children) {
    const ms = cpuMs(c.pid);
    if (ms === null) return null;
    sum += ms;
  }
  return sum;
}

async function oneMember(servers: string, stream: string, prefix: string, n: number): Promise<number> {
  const e = await Engine.open();
  try {
    const t = performance.now();
    await e.execute(sourceSql(servers, stream, prefix, true) + WINDOWED);
    await e.query('SELECT 1');
    const ms = performance.now() - t;
    const read = e.metrics().eventsIn;
    if (read !== n) throw new SluiceError('EXECUTION', `bench nats: the job read ${read} events of ${n}`);
    return ms;
  } finally {
    await e.close();
  }
}

/** Publishes at `rate` events/s for `seconds`, each event carrying its publish time; a per-key view's changes give the latency. */
async function latency(nc: NatsConnection, servers: string, stream: string, prefix: string, rate: number, seconds: number): Promise<number[]> {
  const e = await Engine.open();
  const lat: number[] = [];
  try {
    await e.execute(sourceSql(servers, stream, prefix, false) + `CREATE MATERIALIZED VIEW last_sent AS SELECT k, MAX(sent) AS sent FROM ev GROUP BY k;`);
    const sub = e.subscribe('last_sent', (c) => {
      if (c.op === '+I' || c.op === '+U') lat.push(Date.now() - Number(c.row['sent']));
    }, { snapshot: false });
    const live = await e.live('SELECT k FROM ev WHERE k < 0', () => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const tick = 10;
    const per = Math.max(1, Math.round((rate * tick) / 1000));
    let i = 0;
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const now = Date.now();
      for (let j = 0; j < per; j++, i++) {
        const k = i % KEYS;
        nc.publish(`${prefix}.${k % PARTITIONS}`, `{"k":${k},"v":1,"ts":"${new Date(T0 + i).toISOString()}","sent":${now}}`);
      }
      await new Promise((r) => setTimeout(r, tick));
    }
    await new Promise((r) => setTimeout(r, 1000));
    sub.unsubscribe();
    await live.stop();
  } finally {
    await e.close();
  }
  return lat.sort((a, b) => a - b);
}

async function until(what: string, f: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f().catch(() => false))) {
    if (Date.now() > deadline) throw new SluiceError('EXECUTION', `bench nats: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The sequence of the last event of each partition's subject (the partitions' ends). */
async function partitionEnds(jsm: JetStreamManager, stream: string, prefix: string): Promise<number[]> {
  const ends: number[] = [];
  for (let p = 0; p < PARTITIONS; p++) ends.push((await jsm.streams.getMessage(stream, { last_by_subj: `${prefix}.${p}` }))?.seq ?? 0);
  return ends;
}

/**
 * Waits until every partition's snapshot covers its end: what `lag` 0 in `sluice group
 * status` says, read off the snapshots' metadata alone. Status itself creates a consumer per
 * partition to count the lag; asked every 50 ms, that load on the server (on the members'
 * cores) would be part of what is measured.
 */
async function untilSnapshotsCover(servers: string, group: string, ends: readonly number[]): Promise<void> {
  const store = await GroupStore.open([servers], groupNames(group));
  try {
    await until('every partition to be caught up', async () => {
      const metas = await Promise.all(ends.map((_, index) => store.snapshotMeta({ stage: 'source', index })));
      return metas.every((m, i) => (m?.sources['ev']?.seq ?? 0) >= ends[i]!);
    }, 600_000);
  } finally {
    await store.close();
  }
}

/** `members` processes run the windowed job as a group over the stream; events/s from all partitions owned to all caught up, then a kill. */
async function groupRun(servers: string, stream: string, prefix: string, n: number, members: number, dir: string, ends: readonly number[], repartitioned = false): Promise<Figure> {
  const group = `bench${process.pid}_${members}${repartitioned ? 'r' : ''}`;
  const file = join(dir, `${group}.sql`);
  // The default checkpoint_interval (1 s): a partition that catches up with the stream checkpoints at once, which ends the figure.
  writeFileSync(file, sourceSql(servers, stream, prefix, false) + (repartitioned ? REPARTITIONED : WINDOWED));
  const children: ChildProcess[] = [];
  const status = (): Promise<GroupStatus> => groupStatus(group, [servers]);
  try {
    const t = performance.now();
    for (let i = 0; i < members; i++) {
      children.push(spawn(process.execPath, [cliPath(), 'run', file, '--group', group, '--db', join(dir, `${group}_${i}.duckdb`)], { stdio: 'ignore' }));
    }
    await until('the members to own every partition', async () => {
      const s = await status();
      return s.members.length === members && s.partitions.every((p) => p.owner !== null);
    }, 60_000);
    const owned = performance.now();
    const cpu0 = cpuOf(children);
    if (repartitioned) {
      await until('every partition to be caught up', async () => (await status()).partitions.every((p) => p.owner !== null && p.lag === 0), 600_000);
    } else await untilSnapshotsCover(servers, group, ends);
    const ms = performance.now() - owned;
    const cpu1 = cpuOf(children);
    const wall = performance.now() - t;
    if (!repartitioned && !(await status()).partitions.every((p) => p.lag === 0)) throw new SluiceError('EXECUTION', `bench nats: group '${group}' is not caught up`);
    let rebalanceMs: number | null = null;
    if (members > 1) {
      const s = await status();
      const victim = s.partitions[0]!.owner!;
      const i = s.members.findIndex((m) => m.id === victim);
      // Members sort by id as they were spawned only by chance: find the child by its pid in the id.
      const child = children.find((c) => victim.includes(`-${c.pid}-`)) ?? children[i]!;
      const k = performance.now();
      child.kill('SIGKILL');
      await until('the survivors to own every partition', async () => (await status()).partitions.every((p) => p.owner !== null && p.owner !== victim), 60_000);
      rebalanceMs = performance.now() - k;
    }
    return {
      figure: `group of ${members}${repartitioned ? ', repartitioned' : ''}`,
      members,
      events: n,
      // From every partition owned (reading has begun) to every snapshot covering the stream.
      events_per_s: Math.round(n / (ms / 1000)),
      // From spawning the members: start-up (loading, joining, restoring) included.
      wall_events_per_s: Math.round(n / (wall / 1000)),
      // The members' CPU over the same span, per event: what the machine pays for each.
      cpu_us_per_event: cpu0 === null || cpu1 === null ? null : Math.round(((cpu1 - cpu0) * 1000) / n * 10) / 10,
      rebalance_ms: rebalanceMs === null ? null : Math.round(rebalanceMs),
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r)))));
    await deleteGroup(group, [servers]).catch(() => undefined);
  }
}

/**
 * Read-your-writes across a group: a member inside this process (GroupMember) owns every
 * partition of a per-key view; each round inserts one event and runs a point query with
 * `after`, timed from the insert to the answer.
 */
async function groupReadYourWrites(servers: string, stream: string, prefix: string, rounds: number, dir: string): Promise<Figure> {
  const group = `bench${process.pid}_ryw`;
  const file = join(dir, `${group}.sql`);
  writeFileSync(file, sourceSql(servers, stream, prefix, false) + `\nCREATE MATERIALIZED VIEW per_key AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY k;`);
  const member = await GroupMember.join(file, { group, servers });
  const ms: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const k = i % 100;
      const t = performance.now();
      const written = await member.insert('ev', [{ k, v: i, ts: new Date(T0 + i), sent: Date.now() }]);
      const rows = await member.query('SELECT n FROM per_key WHERE k = ?', [k], { after: { ev: written } });
      ms.push(performance.now() - t);
      if (rows.length !== 1 || rows[0]!['n'] !== Math.floor(i / 100) + 1) throw new SluiceError('EXECUTION', `bench nats: round ${i} read ${JSON.stringify(rows)} for key ${k}, not its own write`);
    }
  } finally {
    await member.close();
    await deleteGroup(group, [servers]).catch(() => undefined);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]! * 10) / 10;
  return { figure: 'read-your-writes, group member', partitions: PARTITIONS, rounds, p50_ms: q(0.5), p99_ms: q(0.99) };
}

export async function measureNats(options: Omit<NatsBenchOptions, 'json'>, onFigure: (f: Figure) => void): Promise<void> {
  const n = options.events ?? 500_000;
  if (!Number.isSafeInteger(n) || n < 1) throw new SluiceError('ARGUMENT', `--events must be a positive whole number, got ${n}`);
  const servers = options.servers ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const { nc, jsm } = await openNats(servers);
  const stream = `SLUICE_BENCH_${process.pid}`;
  const prefix = `sluicebench${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-nats-'));
  try {
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.*`] });
    const pub = await publishAll(nc, jsm, stream, prefix, n);
    onFigure({ figure: 'jetstream publish', events: n, events_per_s: Math.round(n / (pub / 1000)) });
    const con = await consumeAll(nc, jsm, stream, n, false);
    onFigure({ figure: 'jetstream consume', events: n, events_per_s: Math.round(n / (con / 1000)) });
    const held = await consumeAll(nc, jsm, stream, n, true);
    onFigure({ figure: 'jetstream consume, acks held', events: n, events_per_s: Math.round(n / (held / 1000)) });
    const one = await oneMember(servers, stream, prefix, n);
    onFigure({ figure: 'windowed job, 1 process', events: n, events_per_s: Math.round(n / (one / 1000)) });
    if (options.noGroups !== true) {
      const ends = await partitionEnds(jsm, stream, prefix);
      for (const members of options.groupSizes ?? [1, 2, 3]) onFigure(await groupRun(servers, stream, prefix, n, members, dir, ends));
      if (options.repartitioned !== false) onFigure(await groupRun(servers, stream, prefix, n, 2, dir, ends, true));
    }
    // Latency on a stream of its own: the source reads from the start.
    const lstream = `${stream}_LAT`;
    const lprefix = `${prefix}lat`;
    await jsm.streams.add({ name: lstream, subjects: [`${lprefix}.*`] });
    const rate = options.latencyRate ?? 20_000;
    const lat = await latency(nc, servers, lstream, lprefix, rate, options.latencySeconds ?? 3);
    const q = (p: number) => (lat.length === 0 ? null : lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!);
    onFigure({ figure: 'end-to-end latency, per-key view', events_per_s: rate, changes: lat.length, p50_ms: q(0.5), p99_ms: q(0.99) });
    await jsm.streams.delete(lstream).catch(() => undefined);
    const rstream = `${stream}_RYW`;
    const rprefix = `${prefix}ryw`;
    await jsm.streams.add({ name: rstream, subjects: [`${rprefix}.*`] });
    try {
      onFigure(await groupReadYourWrites(servers, rstream, rprefix, options.rywRounds ?? 200, dir));
    } finally {
      await jsm.streams.delete(rstream).catch(() => undefined);
    }
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runNatsBench(options: NatsBenchOptions): Promise<void> {
  await measureNats(options, (f) => process.stdout.write((options.json ? JSON.stringify(f) : describeFigure(f)) + '\n'));
}
