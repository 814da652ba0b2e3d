/**
 * A group partition that was behind its stream checkpoints as soon as it has caught up, not
 * a checkpoint_interval later: with the interval at an hour, a burst published while the
 * member runs is covered by snapshots (lag 0) and acknowledged within seconds. Real NATS.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { publish, SERVERS, stream } from '../connectors/nats-helpers.js';
import { settled, startMember, stopAll, untilStatus, useGroupTestEnv } from './group-helpers.js';

const env = useGroupTestEnv('catchup');

describe('catch-up checkpoints', () => {
  it('covers a burst with snapshots once it is read, with checkpoint_interval at an hour', async () => {
    const src = await stream(env.nats, 'cu');
    const group = `cu${process.pid}`;
    env.groups.push(group);
    const file = join(env.dir, 'job.sql');
    writeFileSync(
      file,
      `SET checkpoint_interval = '1 hour';
       CREATE SOURCE ev (k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)
         WITH (connector = 'nats', servers = '${SERVERS}', stream = '${src.stream}', subject = '${src.prefix}.*', partitions = 2, key = 'k');
       CREATE MATERIALIZED VIEW counts AS SELECT k, COUNT(*) AS n FROM ev GROUP BY k;
       CREATE SINK hole FROM counts WITH (connector = 'blackhole');`,
    );
    const m = startMember(file, group, join(env.dir, 'm.duckdb'));
    env.members.push(m);
    const id = await m.id;
    await untilStatus(group, 'the member to own both partitions', (s) => s.partitions.length === 2 && s.partitions.every((p) => p.owner === id));
    await publish(env.nats, src.stream, Array.from({ length: 2000 }, (_, i) => [`${src.prefix}.${i % 2}`, JSON.stringify({ k: i % 2, ts: new Date(Date.UTC(2024, 0, 1) + i).toISOString() })] as [string, string]));
    const t = Date.now();
    await untilStatus(group, 'snapshots covering the burst', settled([id]), 20_000);
    expect(Date.now() - t).toBeLessThan(20_000);
    // The source's acks follow the checkpoint: its consumers' ack floors reach the end too.
    for await (const c of env.nats.jsm.consumers.list(src.stream)) if (c.name.startsWith(`sluice_${group}_`)) expect(c.num_ack_pending).toBe(0);
    await stopAll([m]);
  }, 60_000);
});
