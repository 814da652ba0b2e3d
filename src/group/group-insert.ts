/**
 * A group member's `insert`: events published to a nats source's stream, each to the
 * partition its `key` column's value hashes to (round robin without a key), as JSON the
 * source reads back. The offsets returned are the stream sequences JetStream stored them
 * at: what `query(…, { after })` waits for on any member.
 */
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { fnv1a } from '../connectors/nats/nats-sink.js';
import { jsonRowText, jsonValue } from '../connectors/sinks/json-row.js';
import type { InsertResult } from '../engine/api-types.js';
import { rowsToBatch } from '../engine/rows.js';
import { SluiceError } from '../errors.js';
import { columnsOf, readValue } from '../exec/batch.js';
import type { Value } from '../types.js';
import { sourceNamed, type GroupJob } from './group-job.js';

/** Publishes awaiting their acknowledgement at once. */
const IN_FLIGHT = 512;

export class GroupPublisher {
  private next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly job: GroupJob,
  ) {}

  async insert(source: string, rows: readonly object[]): Promise<InsertResult> {
    const src = sourceNamed(this.job, String(source));
    if (src === undefined) throw new SluiceError('CATALOG', `source '${String(source)}' is not a source of the group's job (it has: ${this.job.sources.map((s) => s.name).join(', ')})`);
    if (!Array.isArray(rows)) throw new SluiceError('ARGUMENT', 'a group member inserts an array of plain objects');
    const schema = src.fields;
    const { batch, rejected } = rowsToBatch(rows, schema, schema.map(() => null));
    const cols = columnsOf(batch);
    const key = src.key === null ? -1 : schema.findIndex((c) => c.name === src.key);
    const messages: { subject: string; data: string }[] = [];
    for (let i = 0; i < batch.numRows; i++) {
      const values: Value[] = schema.map((c, j) => readValue(cols[j]!, i, c.type));
      const p = key < 0 ? this.next++ % this.job.partitions : fnv1a(JSON.stringify([jsonValue(values[key]!, schema[key]!.type)])) % this.job.partitions;
      messages.push({ subject: `${src.subjectPrefix}.${p}`, data: jsonRowText(schema, values, null) });
    }
    // As the engine dead-letters them: the partition that reads them sets them aside with stream and sequence.
    for (const r of rejected) messages.push({ subject: `${src.subjectPrefix}.${this.next++ % this.job.partitions}`, data: r.raw });
    const js = jetstream(this.nc, { timeout: 10_000 });
    const offsets: number[] = new Array<number>(messages.length);
    for (let at = 0; at < messages.length; at += IN_FLIGHT) {
      const acks = await Promise.all(messages.slice(at, at + IN_FLIGHT).map((m) => js.publish(m.subject, m.data, { expect: { streamName: src.stream } })));
      acks.forEach((a, i) => (offsets[at + i] = a.seq));
    }
    return { inserted: batch.numRows, rejected: rejected.length, offsets };
  }
}
