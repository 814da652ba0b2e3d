/**
 * Helpers of the scale-out group tests: members as real `sluice run --group` processes
 * (the built CLI) against the machine's NATS server and PostgreSQL, the group's status
 * polled through the same code `sluice group status` runs, and everything the test made
 * (streams, buckets, tables) named per run and removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { deleteGroup } from '../../src/group/group-delete.js';
import { groupStatus, type GroupStatus } from '../../src/group/group-status.js';
import { cleanup, openNats, SERVERS, type Nats } from '../connectors/nats-helpers.js';

export const CLI = resolve('dist/src/cli/main.js');
export const PG_URL = process.env['SLUICE_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface MemberProcess {
  readonly child: ChildProcess;
  /** The id it printed on stderr at start. */
  readonly id: Promise<string>;
  stderr(): string;
  /** Resolves with the exit code (null after a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startMember(job: string, group: string, db: string): MemberProcess {
  const child = spawn(process.execPath, [CLI, 'run', job, '--group', group, '--db', db], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let found: (id: string) => void = () => undefined;
  const id = new Promise<string>((r) => (found = r));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    const m = /member (\S+)\n/.exec(err);
    if (m) found(m[1]!);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, id, stderr: () => err, exited };
}

export function status(group: string): Promise<GroupStatus> {
  return groupStatus(group, [SERVERS]);
}

/** Polls the group's status until `ok` holds; returns it. */
export async function untilStatus(group: string, what: string, ok: (s: GroupStatus) => boolean, ms = 30_000): Promise<GroupStatus> {
  const deadline = Date.now() + ms;
  let last: GroupStatus | null = null;
  for (;;) {
    try {
      last = await status(group);
      if (ok(last)) return last;
    } catch {
      // The group's buckets appear once its first member has started.
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every partition owned by one of `members` and covered by its snapshot up to the stream's end. */
export function settled(members: readonly string[]) {
  return (s: GroupStatus): boolean =>
    s.partitions.length > 0 && s.partitions.every((p) => p.owner !== null && members.includes(p.owner) && p.lag === 0);
}

/** `count` members share the partitions, and their heartbeats agree with the owner records (no hand-over under way). */
export function stable(count: number) {
  return (s: GroupStatus): boolean =>
    s.members.length === count &&
    s.partitions.length > 0 &&
    s.partitions.every((p) => p.owner !== null && s.members.find((m) => m.id === p.owner)?.partitions.some((x) => x === `${p.source}/${p.stage === 'source' ? '' : 'repartition/'}${p.partition}`)) &&
    new Set(s.partitions.map((p) => p.owner)).size === Math.min(count, new Set(s.partitions.map((p) => p.partition)).size);
}

/** Stops members with SIGTERM: each must exit 0 (a final checkpoint, its partitions handed over) within 30 s. */
export async function stopAll(ms: readonly MemberProcess[]): Promise<void> {
  for (const m of ms) m.child.kill('SIGTERM');
  for (const m of ms) {
    const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000));
    const end = await Promise.race([m.exited, timeout]);
    expect(end === 'hung' ? 'hung' : end.code, m.stderr()).toBe(0);
  }
}

/** What a group test file works with; the fields are set once its beforeAll has run. */
export interface GroupTestEnv {
  nats: Nats;
  client: pg.Client;
  dir: string;
  /** Groups and members the tests made, removed afterwards. */
  readonly groups: string[];
  readonly members: MemberProcess[];
}

/**
 * Registers a test file's setup and teardown: NATS, PostgreSQL and a scratch folder before;
 * after, members still running killed, the groups deleted, the PostgreSQL tables and sink
 * positions named `<tag>_…` dropped, the test streams deleted.
 */
export function useGroupTestEnv(tag: string): GroupTestEnv {
  const env = { groups: [], members: [] } as unknown as GroupTestEnv;
  beforeAll(async () => {
    env.nats = await openNats();
    env.client = new pg.Client({ connectionString: PG_URL });
    await env.client.connect();
    env.dir = mkdtempSync(join(tmpdir(), `sluice-${tag}-`));
  });
  afterAll(async () => {
    for (const m of env.members) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
    for (const g of env.groups) await deleteGroup(g, [SERVERS]).catch(() => undefined);
    const r = await env.client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE tablename LIKE '${tag}_%'`);
    for (const t of r.rows) await env.client.query(`DROP TABLE "${t.tablename}"`);
    await env.client.query(`DELETE FROM sluice_sink_positions WHERE sink LIKE '${tag}_%'`).catch(() => undefined);
    await env.client.end();
    await cleanup(env.nats);
    rmSync(env.dir, { recursive: true, force: true });
  });
  return env;
}
