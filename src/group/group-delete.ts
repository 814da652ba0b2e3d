/**
 * `sluice group delete NAME`: removes everything the group keeps in JetStream — its buckets
 * (`KV_sluice_<g>_members`, `KV_sluice_<g>_owners`), its snapshot store
 * (`OBJ_sluice_<g>_state`), the repartition streams `sluice_<g>_<source>_repart` of a job
 * that repartitions, and the durable consumers `sluice_<g>_<source>_<p>` it made on its
 * sources' streams. Names are matched exactly, not
 * by prefix alone, so deleting group `a` leaves group `a_b` alone.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { isNotFound } from '../connectors/nats/nats-connection.js';
import { groupNames, partitionConsumer } from './group-names.js';
import { connectTo, groupError } from './group-store.js';
import type { JobRecord } from './group-status.js';

/** Deletes the group; returns what it removed (empty when the group did not exist). */
export async function deleteGroup(group: string, servers: readonly string[]): Promise<string[]> {
  const names = groupNames(group);
  const nc = await connectTo(servers, group);
  const removed: string[] = [];
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    // The job record names the source streams whose consumers the group made.
    let job: JobRecord | null = null;
    try {
      const e = await (await new Kvm(nc).open(names.owners)).get('job');
      if (e !== null && e.length > 0) job = e.json<JobRecord>();
    } catch {
      job = null;
    }
    if (job !== null) {
      for (const s of job.sources) {
        for (let p = 0; p < job.partitions; p++) {
          const c = partitionConsumer(names, s.name, p);
          try {
            await jsm.consumers.delete(s.stream, c);
            removed.push(`consumer ${s.stream}/${c}`);
          } catch (e) {
            if (!isNotFound(e) && !isNotFound(e, 10014)) throw e;
          }
        }
      }
    }
    const own = new Set([`KV_${names.members}`, `KV_${names.owners}`, `OBJ_${names.state}`]);
    for (const s of job?.sources ?? []) if (s.repartition != null) own.add(s.repartition.stream);
    const all: string[] = [];
    for await (const n of jsm.streams.names()) all.push(n);
    for (const n of all) {
      if (!own.has(n)) continue;
      await jsm.streams.delete(n);
      removed.push(`stream ${n}`);
    }
    return removed;
  } catch (e) {
    throw groupError(group, e);
  } finally {
    await nc.close().catch(() => undefined);
  }
}
