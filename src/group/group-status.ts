/**
 * `sluice group status NAME` (SPEC 8): members with their partitions and last heartbeat,
 * and per source partition its owner, lag (messages not yet covered by the partition's
 * last snapshot) and watermark; with repartitioning, the same per partition of each
 * source's repartition stream (`stage: 'repartition'`; its watermark can be no later than
 * any upstream partition's). The job's sources come from the `job` record each member
 * writes into the owners bucket at start, so status needs no job file.
 */
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { formatIsoTimestamp } from '../plan/functions.js';
import { SluiceError } from '../errors.js';
import { isNotFound } from '../connectors/nats/nats-connection.js';
import type { GroupJob, GroupSource } from './group-job.js';
import { groupNames, ownerKey, type GroupNames, type TaskRef } from './group-names.js';
import { connectTo, GroupStore, groupError, type MemberRecord, type OwnerRecord } from './group-store.js';

export interface JobRecord {
  readonly partitions: number;
  /** Partitions of the repartition streams (absent or 0: the job does not repartition). */
  readonly repartitions?: number;
  readonly sources: readonly (Pick<GroupSource, 'name' | 'stream' | 'subjectPrefix' | 'delayMs'> & { repartition?: GroupSource['repartition'] })[];
}

export interface GroupStatus {
  readonly group: string;
  readonly members: { id: string; partitions: string[]; last_heartbeat: string }[];
  /** `stage`: a partition of the source itself, or of its repartition stream `stream`. */
  readonly partitions: {
    source: string;
    partition: number;
    owner: string | null;
    lag: number;
    watermark: string | null;
    stage: TaskRef['stage'];
    stream: string;
  }[];
}

export async function writeJobRecord(store: GroupStore, job: GroupJob): Promise<void> {
  const rec: JobRecord = {
    partitions: job.partitions,
    repartitions: job.repartitions,
    sources: job.sources.map((s) => ({ name: s.name, stream: s.stream, subjectPrefix: s.subjectPrefix, delayMs: s.delayMs, repartition: s.repartition })),
  };
  const kv = await new Kvm(store.nc).open(store.names.owners);
  await kv.put('job', JSON.stringify(rec));
}

const decoder = new TextDecoder();

/** Whether the group's buckets exist (a group never run, or deleted, has none). */
async function groupExists(names: GroupNames, servers: readonly string[]): Promise<boolean> {
  const nc = await connectTo(servers, names.group);
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    try {
      await jsm.streams.info(`KV_${names.owners}`);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

export async function groupStatus(group: string, servers: readonly string[]): Promise<GroupStatus> {
  const names = groupNames(group);
  if (!(await groupExists(names, servers))) throw new SluiceError('ARGUMENT', `group '${group}' does not exist on ${servers.join(', ')} (no bucket ${names.owners})`);
  const store = await GroupStore.open(servers, names);
  try {
    const kv = await new Kvm(store.nc).open(names.owners);
    const jobEntry = await kv.get('job');
    const job = jobEntry === null || jobEntry.length === 0 ? null : (JSON.parse(decoder.decode(jobEntry.value)) as JobRecord);
    const live: MemberRecord[] = await store.liveMembers();
    const liveIds = new Set(live.map((m) => m.id));
    const partitions: GroupStatus['partitions'] = [];
    if (job !== null) {
      const js = jetstream(store.nc);
      const task = async (t: TaskRef, s: JobRecord['sources'][number], stream: string, subject: string, upstreamMax: number | null) => {
        const e = await kv.get(ownerKey(t));
        const rec = e === null || e.length === 0 ? null : (JSON.parse(decoder.decode(e.value)) as OwnerRecord);
        const meta = await store.snapshotMeta(t);
        const at = meta?.sources[s.name];
        const seq = at?.seq ?? 0;
        const c = await js.consumers.get(stream, {
          filter_subjects: subject,
          ...(seq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: seq + 1 } : { deliver_policy: DeliverPolicy.All }),
        });
        const lag = (await c.info(true)).num_pending;
        await c.delete().catch(() => undefined);
        const own = at?.maxEventTime ?? null;
        const met = own === null || upstreamMax === null ? own : Math.min(own, upstreamMax);
        const owner = rec?.owner != null && liveIds.has(rec.owner) ? rec.owner : null;
        partitions.push({
          source: s.name,
          partition: t.index,
          owner,
          lag,
          watermark: met === null ? null : formatIsoTimestamp(met - (s.delayMs ?? 0)),
          stage: t.stage,
          stream,
        });
        return own;
      };
      for (const s of job.sources) {
        // The slowest upstream partition bounds every repartition partition's watermark.
        let slowest: number | null = Infinity;
        for (let p = 0; p < job.partitions; p++) {
          const met = await task({ stage: 'source', index: p }, s, s.stream, `${s.subjectPrefix}.${p}`, null);
          slowest = met === null || slowest === null ? null : Math.min(slowest, met);
        }
        const r = s.repartition;
        if (r == null) continue;
        for (let q = 0; q < (job.repartitions ?? 0); q++) await task({ stage: 'repartition', index: q }, s, r.stream, `${r.stream}.${q}.*`, slowest);
      }
    }
    return {
      group,
      members: live.map((m) => ({ id: m.id, partitions: [...m.partitions], last_heartbeat: m.last_heartbeat })),
      partitions,
    };
  } catch (e) {
    throw groupError(group, e);
  } finally {
    await store.close();
  }
}

/** The status as text: members, then partitions. */
export function renderGroupStatus(s: GroupStatus): string {
  const lines = [`group ${s.group}: ${s.members.length} member${s.members.length === 1 ? '' : 's'}`];
  for (const m of s.members) lines.push(`  ${m.id}  heartbeat ${m.last_heartbeat}  ${m.partitions.join(', ') || '(no partitions)'}`);
  lines.push('partitions:');
  for (const p of s.partitions) lines.push(`  ${p.source}/${p.stage === 'source' ? '' : 'repartition/'}${p.partition}  owner ${p.owner ?? '-'}  lag ${p.lag}  watermark ${p.watermark ?? '-'}`);
  return lines.join('\n');
}
