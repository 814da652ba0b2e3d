/**
 * Helpers of the scale-out group tests: members as real `sluice run --group` processes
 * (the built CLI) against the machine's NATS server and PostgreSQL, the group's status
 * polled through the same code `sluice group status` runs, and everything the test made
 * (streams, buckets, tables) named per run and removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { groupStatus, type GroupStatus } from '../../src/group/group-status.js';
import { SERVERS } from '../connectors/nats-helpers.js';

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
    s.partitions.every((p) => p.owner !== null && s.members.find((m) => m.id === p.owner)?.partitions.some((x) => x === `${p.source}/${p.partition}`)) &&
    new Set(s.partitions.map((p) => p.owner)).size === Math.min(count, new Set(s.partitions.map((p) => p.partition)).size);
}
