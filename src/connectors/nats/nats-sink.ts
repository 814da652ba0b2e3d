/**
 * The `nats` sink: publishes each change as one JSON message to a JetStream stream — the
 * row alone for an append-only input, the row with `op` otherwise, as the file sink writes a
 * line — to `subject`, or with `partitions = N` to `subject.<p>` where p is a hash of the
 * row's key (so every change of one key lands in one partition, in order); `subject_suffix`
 * adds a last token after the partition's (`subject.<p>.<suffix>`: a scale-out group's
 * repartition stream names the upstream partition there).
 *
 * Exactly-once: every message carries a `Nats-Msg-Id` that a replay reproduces. The sink's
 * position (what checkpoints store, and `resumeAt` on recovery) is the number of its last
 * message: the stream's last sequence when the sink first connected plus the changes
 * published since; the change after position P gets the id `<sink>:<P + 1>`. After a crash
 * the engine replays from its last checkpoint, the same changes get the same ids, and the
 * server drops those it already holds (within the stream's `duplicate_window`). Starting
 * from the stream's last sequence keeps the ids of a sink dropped and created again under
 * the same name apart from the old ones: the old sink's messages all sit below it.
 *
 * Changes are published when a checkpoint flushes the sink, as a transactional Kafka
 * producer commits with the checkpoint: a replay reproduces a changelog exactly only for
 * the same input batches, and only changes published after the last checkpoint can be
 * replayed differently, so publishing just before the checkpoint's commit leaves that
 * window a few milliseconds wide. An in-memory engine (no checkpoints to wait for)
 * publishes as it goes, and so does a sink reading a source directly with
 * `publish = 'change'`: a source's rows come back in the same order after a crash, whatever
 * the batches, so they get the same ids (a scale-out group's repartition sinks).
 */
import { parseIntervalText } from '../../catalog/interval-text.js';
import { SluiceError } from '../../errors.js';
import { columnsOf, OP_NAMES, readValue, type ChangeBatch } from '../../exec/batch.js';
import { jsonRowText, jsonValue } from '../sinks/json-row.js';
import type { SqlType, Value } from '../../types.js';
import { enumOption } from '../options.js';
import type { SinkInit, SinkWriter } from '../sinks/sink-writer.js';
import { loadNatsClient } from './nats-client.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import {
  checkStreamName,
  checkSubject,
  closeSession,
  isNotFound,
  natsError,
  openSession,
  partitionsOption,
  serversOption,
  type NatsSession,
} from './nats-connection.js';
import { subjectsOverlap } from './nats-source.js';

const OPTIONS = ['connector', 'servers', 'stream', 'subject', 'format', 'partitions', 'key', 'duplicate_window', 'msg_id_prefix', 'subject_suffix', 'publish'];
const DEFAULT_DUPLICATE_WINDOW_MS = 10 * 60 * 1000;
/** Publishes awaiting their ack at most; the next waits until half of them are acked. */
const MAX_IN_FLIGHT = 1024;
const PUBLISH_TIMEOUT_MS = 10_000;

const encoder = new TextEncoder();


/** FNV-1a of a text: a stable hash, the same in every process and run. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class NatsSink implements SinkWriter {
  private readonly who: string;
  private readonly servers: string[];
  private readonly stream: string;
  private readonly subject: string;
  private readonly partitions: number | null;
  /** Columns whose values choose the partition. */
  private readonly key: readonly number[];
  private readonly duplicateWindowMs: number;
  /**
   * `msg_id_prefix`: ids `<prefix>:<n>` numbered from 0, not from the stream's last sequence.
   * A scale-out group gives each partition's pipeline its own prefix, so whichever member
   * publishes a partition's n-th change, even before any snapshot of it exists, uses one id.
   */
  private readonly idPrefix: string | null;
  /** `subject_suffix`: a last subject token, after the partition's. */
  private readonly suffix: string;
  /** Publishes as changes come (in memory, or `publish = 'change'`) rather than when a checkpoint flushes it. */
  private readonly eager: boolean;
  private session: NatsSession | null = null;
  private publisher: JetStreamPublisher | null = null;
  /** Each partition's subject (one without `partitions`), built once rather than per message. */
  private readonly subjects: readonly string[];
  /** Written, not yet published: subjects and payloads side by side. */
  private pendingSubjects: string[] = [];
  private pendingData: Uint8Array[] = [];
  /** The position: the number of the last message published (known once connected). */
  private last = -1;
  private chain: Promise<void> = Promise.resolve();
  private failure: SluiceError | null = null;
  private closed = false;

  constructor(private readonly init: SinkInit) {
    this.who = `sink '${init.name}'`;
    const opts = init.options;
    for (const k of Object.keys(opts)) {
      if (!OPTIONS.includes(k)) throw new SluiceError('CONNECTOR', `${this.who}: unknown option '${k}' (nats sinks take ${OPTIONS.slice(1).join(', ')})`);
    }
    try {
      enumOption(opts, 'format', ['json'], 'json');
      this.servers = serversOption(opts);
      const stream = opts['stream'];
      if (typeof stream !== 'string' || stream === '') throw new SluiceError('CONNECTOR', `missing option 'stream'`);
      this.stream = checkStreamName(stream);
      const subject = opts['subject'];
      if (typeof subject !== 'string' || subject === '') throw new SluiceError('CONNECTOR', `missing option 'subject'`);
      this.subject = checkSubject(subject);
      if (subject.split('.').some((t) => t === '*' || t === '>')) throw new SluiceError('CONNECTOR', `option 'subject' must not hold wildcards, got '${subject}'`);
      this.partitions = partitionsOption(opts);
      const dw = opts['duplicate_window'];
      const ms = dw === undefined ? DEFAULT_DUPLICATE_WINDOW_MS : typeof dw === 'number' ? dw : parseIntervalText(String(dw));
      if (ms === undefined || !(ms > 0)) throw new SluiceError('CONNECTOR', `option 'duplicate_window' must be a positive interval ('10 minutes'), got '${String(dw)}'`);
      this.duplicateWindowMs = ms;
      const prefix = opts['msg_id_prefix'];
      if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '')) throw new SluiceError('CONNECTOR', `option 'msg_id_prefix' must be a non-empty string`);
      this.idPrefix = prefix ?? null;
      const suffix = opts['subject_suffix'];
      this.suffix = suffix === undefined ? '' : `.${checkSubject(String(suffix))}`;
      this.eager = init.eager === true || enumOption(opts, 'publish', ['checkpoint', 'change'], 'checkpoint') === 'change';
      // A replay after a crash must give the changes the same ids: only a source's rows come back the same, whatever the batches.
      if (this.eager && init.eager !== true && init.fromSource !== true) {
        throw new SluiceError('CONNECTOR', `publish = 'change' needs a sink that reads a source directly (a view's changes may come back differently batched after a crash, under other ids): use publish = 'checkpoint'`);
      }
    } catch (e) {
      throw e instanceof SluiceError ? new SluiceError('CONNECTOR', `${this.who}: ${e.message}`) : e;
    }
    const keyOpt = opts['key'];
    if (keyOpt !== undefined) {
      const names = String(keyOpt).split(',').map((s) => s.trim()).filter((s) => s !== '');
      this.key = names.map((n) => {
        const i = init.schema.findIndex((c) => c.name.toLowerCase() === n.toLowerCase());
        if (i < 0) throw new SluiceError('CONNECTOR', `${this.who}: key column '${n}' is not a column of its input (${init.schema.map((c) => c.name).join(', ')})`);
        return i;
      });
    } else {
      // Without a key every column decides: equal rows still share a partition.
      this.key = init.key && init.key.length > 0 ? init.key : init.schema.map((_, i) => i);
    }
    this.subjects = this.partitions === null ? [this.subject + this.suffix] : Array.from({ length: this.partitions }, (_, p) => `${this.subject}.${p}${this.suffix}`);
  }

  write(batch: ChangeBatch): void {
    if (this.closed) throw new SluiceError('CONNECTOR', `${this.who} is closed`);
    const schema = this.init.schema;
    const withOp = !this.init.appendOnly;
    const cols = columnsOf(batch);
    for (let i = 0; i < batch.length; i++) {
      const values = schema.map((c, j) => readValue(cols[j]!, i, c.type));
      const p = this.partitions === null ? 0 : fnv1a(JSON.stringify(this.key.map((j) => jsonValue(values[j]!, schema[j]!.type)))) % this.partitions;
      const line = jsonRowText(schema, values, withOp ? OP_NAMES[batch.ops === null ? 0 : batch.ops[i]!]! : null);
      this.pendingSubjects.push(this.subjects[p]!);
      this.pendingData.push(encoder.encode(line));
    }
    if (this.eager) this.startPublishing();
  }

  private startPublishing(): void {
    this.chain = this.chain.then(() => this.publish()).catch((e: unknown) => void (this.failure ??= natsError(this.who, e)));
  }

  /** Publishes what was written and waits until the stream holds all of it; returns the position. */
  async flush(): Promise<number> {
    if (this.closed) throw new SluiceError('CONNECTOR', `${this.who} is closed`);
    this.startPublishing();
    await this.chain;
    // Sticky: which of the failed batch's messages the stream holds is unknown, so no later
    // position may be recorded; reopening replays from the last checkpoint instead.
    if (this.failure !== null) throw this.failure;
    return this.last;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      const s = this.session;
      this.session = null;
      this.publisher?.close();
      this.publisher = null;
      await closeSession(s);
    }
  }

  /** Connects, creates the stream if missing, and learns the position to continue from. */
  private async connect(): Promise<JetStreamPublisher> {
    if (this.publisher !== null) return this.publisher;
    const session = await openSession(this.servers, this.who);
    const { transport } = await loadNatsClient();
    const target = (this.partitions === null ? this.subject : `${this.subject}.*`) + this.suffix;
    try {
      let info;
      try {
        info = await session.jsm.streams.info(this.stream);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        info = await session.jsm.streams.add({ name: this.stream, subjects: [target], duplicate_window: transport.nanos(this.duplicateWindowMs) });
      }
      const subjects = info.config.subjects ?? [];
      if (!subjects.some((s) => subjectsOverlap(s, target))) {
        throw new SluiceError('CONNECTOR', `${this.who}: stream '${this.stream}' does not take subject '${target}' (its subjects: ${subjects.join(', ')})`);
      }
      this.last = this.init.resumeAt ?? (this.idPrefix === null ? info.state.last_seq : 0);
    } catch (e) {
      await closeSession(session);
      throw natsError(this.who, e, `stream '${this.stream}'`);
    }
    this.session = session;
    this.publisher = await JetStreamPublisher.open(session.nc, { maxInFlight: MAX_IN_FLIGHT, timeoutMs: PUBLISH_TIMEOUT_MS });
    return this.publisher;
  }

  /** Publishes the buffered messages, at most MAX_IN_FLIGHT unacknowledged at a time. */
  private async publish(): Promise<void> {
    const pub = await this.connect();
    const subjects = this.pendingSubjects;
    const data = this.pendingData;
    this.pendingSubjects = [];
    this.pendingData = [];
    const name = this.idPrefix ?? this.init.name;
    for (let i = 0; i < subjects.length; i++) {
      if (pub.full) await pub.room();
      pub.publish(subjects[i]!, data[i]!, `${name}:${++this.last}`);
    }
    await pub.settle();
  }
}
