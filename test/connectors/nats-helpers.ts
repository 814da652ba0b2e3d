/**
 * Helpers of the nats tests: a connection to the machine's real NATS server
 * (127.0.0.1:4222, JetStream on; a missing server fails the tests), streams named per test
 * run and deleted afterwards, fast publishing, and reading a stream back whole.
 */
import { spawn } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';

export const SERVERS = process.env['SLUICE_TEST_NATS'] ?? 'nats://127.0.0.1:4222';

export interface Nats {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** Streams created through `stream` (or named for a sink), deleted by `cleanup`. */
  readonly streams: Set<string>;
}

export async function openNats(): Promise<Nats> {
  const nc = await connect({ servers: SERVERS, timeout: 5000 });
  return { nc, jsm: await jetstreamManager(nc), streams: new Set() };
}

export async function cleanup(n: Nats | undefined): Promise<void> {
  if (!n) return;
  for (const s of n.streams) await n.jsm.streams.delete(s).catch(() => undefined);
  await n.nc.close();
}

/** Creates a stream for this test run: `T<pid>_<name>` taking `t<pid>.<name>.*`. */
export async function stream(n: Nats, name: string): Promise<{ stream: string; prefix: string }> {
  const s = `T${process.pid}_${name.toUpperCase()}`;
  const prefix = `t${process.pid}.${name}`;
  await n.jsm.streams.delete(s).catch(() => undefined);
  await n.jsm.streams.add({ name: s, subjects: [`${prefix}.*`] });
  n.streams.add(s);
  return { stream: s, prefix };
}

/**
 * Publishes `[subject, payload]` messages in order (plain publishes: the stream stores them
 * in the order they go out on the one connection) and waits until the stream holds them.
 */
export async function publish(n: Nats, streamName: string, msgs: readonly (readonly [string, string])[]): Promise<void> {
  const before = (await n.jsm.streams.info(streamName)).state.messages;
  for (let i = 0; i < msgs.length; i++) {
    n.nc.publish(msgs[i]![0], msgs[i]![1]);
    if (i % 5000 === 4999) await n.nc.flush();
  }
  await n.nc.flush();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const have = (await n.jsm.streams.info(streamName)).state.messages;
    if (have >= before + msgs.length) return;
    if (Date.now() > deadline) throw new Error(`stream ${streamName} holds ${have - before} of ${msgs.length} published messages`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface StoredMsg {
  readonly seq: number;
  readonly subject: string;
  readonly id: string | undefined;
  readonly json: Record<string, unknown>;
}

/** Every message of a stream, in order. */
export async function readAll(n: Nats, streamName: string): Promise<StoredMsg[]> {
  const total = (await n.jsm.streams.info(streamName)).state.messages;
  const out: StoredMsg[] = [];
  if (total === 0) return out;
  const c = await jetstream(n.nc).consumers.get(streamName, { deliver_policy: DeliverPolicy.All });
  const it = await c.consume({ max_messages: 1000 });
  const timer = setTimeout(() => it.stop(), 15_000);
  for await (const m of it) {
    out.push({ seq: m.seq, subject: m.subject, id: m.headers?.get('Nats-Msg-Id'), json: m.data.length === 0 ? {} : m.json<Record<string, unknown>>() });
    if (m.info.pending === 0) break;
  }
  clearTimeout(timer);
  await it.close();
  return out;
}

/** Polls `probe` until it returns true; fails after `ms`, saying `reached()` (what was seen last) if given. */
export async function until(what: string, probe: () => Promise<boolean>, ms = 20_000, reached?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${reached ? `; ${reached()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a node script and kills it with SIGKILL after `ms`; rejects if it ended before the kill. */
export function killChildAfter(script: string, ms: number): Promise<void> {
  return new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') done();
      else fail(new Error(`the child ended before the kill: ${err}`));
    });
  });
}
