/**
 * A group's repartition streams (Kafka Streams' repartition topics): one per source,
 * `sluice_<group>_<source>_repart`, subject `<stream>.<q>.<p>` for rows of upstream
 * partition p that hash to repartition partition q. The sinks of the source stage publish
 * the rows; this module creates the streams and publishes the upstream partitions'
 * watermark progress.
 */
import { headers as natsHeaders } from '@nats-io/transport-node';
import { JetStreamPublisher } from '../connectors/nats/jetstream-publisher.js';
import { EVENT_TIME_HEADER } from '../connectors/nats/nats-source.js';
import { isNotFound } from '../connectors/nats/nats-connection.js';
import type { GroupJob } from './group-job.js';
import type { GroupStore, SnapshotMeta } from './group-store.js';

/**
 * How long the server remembers message ids: it must cover a member's crash and the new
 * owner's replay since the last snapshot (a lease of 5 s, a restore, the replay).
 */
const DUPLICATE_WINDOW_NS = 10 * 60 * 1e9;
const PUBLISH_TIMEOUT_MS = 10_000;

/** Creates the job's repartition streams where missing. */
export async function createRepartitionStreams(store: GroupStore, job: GroupJob): Promise<void> {
  for (const s of job.sources) {
    if (s.repartition === null) continue;
    const name = s.repartition.stream;
    try {
      await store.jsm.streams.info(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await store.jsm.streams
        .add({ name, subjects: [`${name}.>`], duplicate_window: DUPLICATE_WINDOW_NS, description: `sluice group ${store.names.group}: source ${s.name} repartitioned by ${s.repartition.column}` })
        .catch(async (x: unknown) => {
          // Another member created it meanwhile.
          await store.jsm.streams.info(name).catch(() => Promise.reject(x));
        });
    }
  }
}

/**
 * Watermark progress of one upstream partition, sent to every repartition partition: a
 * repartition partition that gets no rows from p still learns that p has passed time T
 * (an empty message with the Sluice-Event-Time header), so its windows close when every
 * upstream partition has passed them, not only those that sent it rows. Sent after a
 * checkpoint, once the rows it covers are in the stream (the checkpoint flushed them).
 */
export class WatermarkPublisher {
  /** Per source, the largest event time sent. */
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly store: GroupStore,
    private readonly job: GroupJob,
    private readonly partition: number,
  ) {}

  async publish(sources: SnapshotMeta['sources']): Promise<void> {
    // A few messages per checkpoint: a publisher (one inbox subscription) per call, closed after.
    let pub: JetStreamPublisher | null = null;
    const sent: [string, number][] = [];
    try {
      for (const s of this.job.sources) {
        const t = sources[s.name]?.maxEventTime ?? null;
        if (s.repartition === null || s.delayMs === null || t === null || t <= (this.sent.get(s.name) ?? -Infinity)) continue;
        pub ??= await JetStreamPublisher.open(this.store.nc, { maxInFlight: Infinity, timeoutMs: PUBLISH_TIMEOUT_MS });
        const h = natsHeaders();
        h.set(EVENT_TIME_HEADER, String(t));
        for (let q = 0; q < this.job.repartitions; q++) pub.publish(`${s.repartition.stream}.${q}.${this.partition}`, new Uint8Array(0), null, h);
        sent.push([s.name, t]);
      }
      await pub?.settle();
      // Only once stored: a failed publish is sent again at the next checkpoint.
      for (const [name, t] of sent) this.sent.set(name, t);
    } finally {
      pub?.close();
    }
  }
}
