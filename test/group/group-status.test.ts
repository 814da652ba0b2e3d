/**
 * `sluice group status` in SPEC 8's JSON shape while members join, and `sluice group
 * delete` leaving nothing of the group in JetStream. Real NATS; a missing server fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sluice } from '../cli/cli-runner.js';
import { cleanup, openNats, publish, SERVERS, stream, type Nats } from '../connectors/nats-helpers.js';
import { settled, startMember, untilStatus, type MemberProcess } from './group-helpers.js';

let n: Nats;
let dir: string;
const members: MemberProcess[] = [];
const group = `s${process.pid}`;

beforeAll(async () => {
  n = await openNats();
  dir = mkdtempSync(join(tmpdir(), 'sluice-group-status-'));
});

afterAll(async () => {
  for (const m of members) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
  await sluice(['group', 'delete', group, '--servers', SERVERS]);
  await cleanup(n);
  rmSync(dir, { recursive: true, force: true });
});

describe('sluice group status and delete', () => {
  it('reports members, owners, lag and watermarks as a member joins, then deletes every trace', async () => {
    const src = await stream(n, 'ev');
    const file = join(dir, 'job.sql');
    writeFileSync(
      file,
      `CREATE SOURCE ev (k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
         WITH (connector = 'nats', servers = '${SERVERS}', stream = '${src.stream}', subject = '${src.prefix}.*', partitions = 4, key = 'k');
       CREATE MATERIALIZED VIEW counts AS SELECT k, COUNT(*) AS n FROM ev GROUP BY k;
       CREATE SINK hole FROM counts WITH (connector = 'blackhole');`,
    );
    // Partition p holds events up to 00:00:0p.
    await publish(n, src.stream, [0, 1, 2, 3].flatMap((p) => [0, 1].map((i) => [`${src.prefix}.${p}`, JSON.stringify({ k: p, ts: `2024-01-01T00:00:0${p + i}Z` })] as [string, string])));
    const a = startMember(file, group, join(dir, 'a.duckdb'));
    members.push(a);
    const aId = await a.id;
    await untilStatus(group, 'member a to own everything', settled([aId]));
    const b = startMember(file, group, join(dir, 'b.duckdb'));
    members.push(b);
    const bId = await b.id;
    await untilStatus(group, 'the joining member to take partitions over', (s) =>
        settled([aId, bId])(s) &&
        s.partitions.filter((p) => p.owner === bId).length === 2 &&
        // Heartbeats list the partitions a member held when it last beat: wait until they agree.
        s.partitions.every((p) => s.members.find((m) => m.id === p.owner)?.partitions.includes(`ev/${p.partition}`)) &&
        s.members.flatMap((m) => m.partitions).length === 4,
    );

    const r = await sluice(['group', 'status', group, '--servers', SERVERS, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(s)).toEqual(['group', 'members', 'partitions']);
    expect(s['group']).toBe(group);
    const ms = s['members'] as { id: string; partitions: string[]; last_heartbeat: string }[];
    expect(ms.map((m) => Object.keys(m))).toEqual([
      ['id', 'partitions', 'last_heartbeat'],
      ['id', 'partitions', 'last_heartbeat'],
    ]);
    expect(ms.map((m) => m.id).sort()).toEqual([aId, bId].sort());
    expect(ms.flatMap((m) => m.partitions).sort()).toEqual(['ev/0', 'ev/1', 'ev/2', 'ev/3']);
    for (const m of ms) expect(Math.abs(Date.now() - Date.parse(m.last_heartbeat))).toBeLessThan(5000);
    const ps = s['partitions'] as Record<string, unknown>[];
    for (const [i, p] of ps.entries()) {
      const owner = ms.find((m) => m.partitions.includes(`ev/${i}`))!.id;
      // Largest event time p + 1 s, minus the 2 s delay.
      // SPEC 8's fields in SPEC 8's order, then the extension: which stage, which stream.
      expect(Object.keys(p)).toEqual(['source', 'partition', 'owner', 'lag', 'watermark', 'stage', 'stream']);
      expect(p).toEqual({ source: 'ev', partition: i, owner, lag: 0, watermark: new Date(Date.UTC(2024, 0, 1) + (i - 1) * 1000).toISOString(), stage: 'source', stream: src.stream });
    }
    const text = await sluice(['group', 'status', group, '--servers', SERVERS]);
    expect(text.stdout).toMatch(new RegExp(`group ${group}: 2 members`));
    expect(text.stdout).toMatch(/ev\/3 {2}owner \S+ {2}lag 0 {2}watermark 2024-01-01T00:00:02.000Z/);

    for (const m of [a, b]) m.child.kill('SIGTERM');
    for (const m of [a, b]) expect((await m.exited).code, m.stderr()).toBe(0);
    const del = await sluice(['group', 'delete', group, '--servers', SERVERS]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain(`deleted stream KV_sluice_${group}_members`);
    const left: string[] = [];
    for await (const name of n.jsm.streams.names()) if (name.includes(`sluice_${group}_`)) left.push(name);
    for await (const c of n.jsm.consumers.list(src.stream)) if (c.name.startsWith(`sluice_${group}_`)) left.push(c.name);
    expect(left).toEqual([]);
    const gone = await sluice(['group', 'status', group, '--servers', SERVERS]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`group '${group}' does not exist`);
  }, 60_000);

  it('fails with a connector error when NATS is not there', async () => {
    const r = await sluice(['group', 'status', group, '--servers', 'nats://127.0.0.1:4299']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Connector Error: group '.*': cannot connect to NATS at nats:\/\/127.0.0.1:4299/);
  });
});
