/**
 * The `nats` source connector: a JetStream stream read as JSON objects, one per message,
 * converted exactly as jsonl lines are (JsonRowParser), so types, timestamps and dead
 * letters agree with the file source.
 *
 * Offsets are stream sequences; the position is the sequence of the last message taken.
 * Reading goes through a durable pull consumer `sluice_<source>` (ack policy "all") that is
 * created anew at the checkpointed sequence whenever the reader opens: the checkpoint in the
 * DuckDB file, not the consumer's own state, decides where reading resumes, so a restart
 * after kill -9 neither skips nor repeats a message. Messages are acknowledged only once a
 * checkpoint holding them has committed (`committed`), so the consumer's ack floor and
 * pending count show what is durable, and a stream with interest or work-queue retention
 * keeps every message until sluice no longer needs it.
 *
 * Messages are decoded as they arrive straight into the column builders of the next batch
 * (no queue of client message objects), up to the caller's `maxRows`; the sequence comes
 * from the reply subject (AckSubject) rather than the client's per-message `info`.
 *
 * Partitions: the partition is the last token of a message's subject (`orders.3` → '3');
 * with `partitions = N` it must be 0 … N-1, else the message is a dead letter. One stream
 * interleaves its partitions, so a batch carries each row's partition (RowPartitions).
 *
 * `repartition = true` reads a scale-out group's repartition stream (src/group): the
 * partition token names the upstream partition that published the row, every upstream
 * partition 0 … N-1 holds the watermark from the start, and an empty message with a
 * `Sluice-Event-Time` header says its upstream partition has passed that event time (sent
 * to every repartition partition, so one it had no rows for learns it too), as Flink
 * forwards watermarks on every channel.
 */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { SluiceError } from '../../errors.js';
import type { Schema } from '../../types.js';
import { clampMaxRows } from '../batch-limits.js';
import { BatchAssembler } from '../file/batch-assembler.js';
import { JsonRowParser } from '../file/jsonl-reader.js';
import { RowStage, S_NULL } from '../file/row-stage.js';
import { booleanOption, checkKnownOptions, enumOption, requiredString, stringOption } from '../options.js';
import type { ReadBatch, ReaderOptions, SourceOptions, SourceReader } from '../source-reader.js';
import { AckSubject } from './ack-subject.js';
import { CONSUMER_NOT_FOUND, loadNatsClient } from './nats-client.js';
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

const NATS_OPTIONS = ['servers', 'stream', 'subject', 'format', 'partitions', 'key', 'stop_at_end', 'consumer', 'repartition', 'repartitions'];

/** The header of a repartition stream's watermark message: the event time (ms) its upstream partition has passed. */
export const EVENT_TIME_HEADER = 'Sluice-Event-Time';
const WHERE = "connector 'nats'";

/** Messages asked for per pull (the credit the server streams into while a batch is processed). */
const PULL_MESSAGES = 16384;
/** How long an unbounded reader waits for a message before returning an empty batch. */
const POLL_MS = 100;
/**
 * How long a batch may wait to fill up while the stream holds more for the consumer (a
 * backlog): batches stay large when catching up, and go out at once when reading live.
 */
const LINGER_MS = 20;
/**
 * Acks come with checkpoints (every `checkpoint_interval`): the server must not redeliver
 * in between. A redelivery would be skipped anyway (its sequence is behind the position).
 */
const ACK_WAIT_MS = 30 * 60 * 1000;

export interface NatsSourceOptions {
  readonly servers: readonly string[];
  readonly stream: string;
  readonly subject: string;
  readonly partitions: number | null;
  readonly key: string | null;
  /** Bounded: end at the stream's last sequence as of opening. */
  readonly stopAtEnd: boolean;
  /** The durable consumer's name; null: `sluice_<source>` (a scale-out group names one per partition). */
  readonly consumer: string | null;
  /** A group's repartition stream: upstream partitions hold the watermark, watermark messages move it. */
  readonly repartition: boolean;
  /** In a scale-out group, how many partitions a repartition of this source has (null: `partitions`). */
  readonly repartitions: number | null;
}

export function parseNatsOptions(options: SourceOptions): NatsSourceOptions {
  checkKnownOptions(options, NATS_OPTIONS, WHERE);
  enumOption(options, 'format', ['json'], 'json');
  return {
    servers: serversOption(options),
    stream: checkStreamName(requiredString(options, 'stream', WHERE)),
    subject: checkSubject(requiredString(options, 'subject', WHERE)),
    partitions: partitionsOption(options),
    key: stringOption(options, 'key') ?? null,
    stopAtEnd: booleanOption(options, 'stop_at_end', false),
    consumer: consumerOption(options),
    repartition: booleanOption(options, 'repartition', false),
    repartitions: partitionsOption(options, 'repartitions'),
  };
}

function consumerOption(options: SourceOptions): string | null {
  const c = stringOption(options, 'consumer');
  if (c === undefined) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(c)) throw new SluiceError('CONNECTOR', `option 'consumer' must be a consumer name (letters, digits, '_', '-'), got '${c}'`);
  return c;
}

/** Checks a nats source's options at CREATE SOURCE time. */
export function validateNatsOptions(options: SourceOptions, schema: Schema): void {
  const o = parseNatsOptions(options);
  if (o.repartition && o.partitions === null) throw new SluiceError('CONNECTOR', `option 'repartition' needs 'partitions' (the upstream partition count)`);
  if (schema.length === 0) throw new SluiceError('CONNECTOR', `a nats source needs at least one column`);
  if (o.key !== null && !schema.some((c) => c.name.toLowerCase() === o.key!.toLowerCase())) {
    throw new SluiceError('CONNECTOR', `option 'key' names '${o.key}', which is not a declared column (${schema.map((c) => c.name).join(', ')})`);
  }
}

/** The durable consumer of a source: `sluice_<source>`, with characters NATS refuses replaced. */
export function consumerName(source: string): string {
  return `sluice_${source.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** True when two subject patterns can match a common subject. */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === '>' || q === '>') return p !== undefined && q !== undefined;
    if (p === undefined || q === undefined) return false;
    if (p !== q && p !== '*' && q !== '*') return false;
  }
  return true;
}

function resumeSeq(resumeFrom: unknown, stream: string): number {
  if (resumeFrom === undefined || resumeFrom === null) return 0;
  const r = resumeFrom as Record<string, unknown>;
  if (typeof resumeFrom !== 'object' || typeof r['seq'] !== 'number' || !Number.isSafeInteger(r['seq']) || r['seq'] < 0) {
    throw new SluiceError('CONNECTOR', `invalid resume position for stream ${stream}: ${JSON.stringify(resumeFrom)}`);
  }
  // The source now reads another stream (CREATE OR REPLACE): its sequences start over.
  return r['stream'] === stream ? r['seq'] : 0;
}

/** Connects and checks the stream, so CREATE SOURCE fails on a wrong server or stream. */
export async function openNatsReader(opts: ReaderOptions): Promise<SourceReader> {
  const o = parseNatsOptions(opts.options);
  const who = `source '${opts.source}'`;
  const after = resumeSeq(opts.resumeFrom, o.stream);
  const session = await openSession(o.servers, who);
  try {
    let info;
    try {
      info = await session.jsm.streams.info(o.stream);
    } catch (e) {
      if (isNotFound(e)) throw new SluiceError('CONNECTOR', `${who}: stream '${o.stream}' does not exist on ${o.servers.join(', ')}`);
      throw e;
    }
    const subjects = info.config.subjects ?? [];
    if (!subjects.some((s) => subjectsOverlap(s, o.subject))) {
      throw new SluiceError('CONNECTOR', `${who}: subject '${o.subject}' is not among the subjects of stream '${o.stream}' (${subjects.join(', ')})`);
    }
    // A re-read for a pipeline that joins later ends where the stream stood, like stop_at_end.
    const endSeq = o.stopAtEnd || opts.replay === true ? info.state.last_seq : null;
    return new NatsReader(session, o, opts, after, endSeq);
  } catch (e) {
    await closeSession(session);
    throw natsError(who, e);
  }
}

const decoder = new TextDecoder();

class NatsReader implements SourceReader {
  readonly bounded: boolean;
  readonly heldPartitions?: readonly string[];
  private readonly who: string;
  private readonly asm: BatchAssembler;
  private readonly stage: RowStage;
  private readonly parser: JsonRowParser;
  private readonly eventTime: number | null;
  private readonly durable: boolean;
  private messages: ConsumerMessages | null = null;
  /** Wakes `next()` waiting until `wantAt` events are built; resumes the pump waiting for room. */
  private wake: (() => void) | null = null;
  private wantAt = 1;
  private room: (() => void) | null = null;
  /** The most events the pump builds ahead of `next()` (its last `maxRows`). */
  private limit = 1;
  private pumpError: unknown = null;
  private pumpDone = false;
  /** Stream sequence of the last message handed out: the position. */
  private lastSeq: number;
  /** Stream sequence of the last message built into the batch in progress. */
  private builtSeq: number;
  /** The last message built, and its pending count (> 0: the stream holds more for us). */
  private builtMsg: JsMsg | null = null;
  private builtPending = 0;
  /** The pump has built the last message of a bounded read. */
  private builtEnd = false;
  private done = false;
  private closed = false;
  /** The last message of each batch handed out, to acknowledge once a checkpoint holds it. */
  private unacked: { seq: number; msg: JsMsg }[] = [];
  /** Partition of each row of the batch being built, as an index into `names`. */
  private partIds = new Int32Array(1024);
  private names: string[] = [];
  private nameIds = new Map<string, number>();
  /** Subject → its partition, or the dead-letter reason when it names none. */
  private readonly partitionOf = new Map<string, { name: string } | { reason: string }>();
  private readonly ack = new AckSubject();
  /** Watermark messages of the batch being built: upstream partition → event time. */
  private progress: Map<string, number> | null = null;

  constructor(
    private readonly session: NatsSession,
    private readonly o: NatsSourceOptions,
    private readonly opts: ReaderOptions,
    after: number,
    private readonly endSeq: number | null,
  ) {
    this.who = `source '${opts.source}'`;
    this.bounded = endSeq !== null;
    this.durable = opts.replay !== true;
    this.asm = new BatchAssembler(opts.source, opts.schema);
    this.stage = new RowStage(opts.schema);
    this.parser = new JsonRowParser(opts.schema, this.stage);
    this.eventTime = opts.eventTimeColumn;
    this.lastSeq = after;
    this.builtSeq = after;
    if (o.repartition) this.heldPartitions = Array.from({ length: o.partitions! }, (_, i) => String(i));
  }

  /** Creates the consumer at the position and starts receiving (at the first `next()`, not at open). */
  private async start(): Promise<void> {
    const { jsm, nc } = this.session;
    const { stream, subject } = this.o;
    if (this.endSeq !== null && this.lastSeq >= this.endSeq) {
      this.done = true;
      return;
    }
    const { js: client, transport } = await loadNatsClient();
    const { AckPolicy, DeliverPolicy, ReplayPolicy } = client;
    const from = this.lastSeq + 1;
    const start = from > 1 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from } : { deliver_policy: DeliverPolicy.All };
    const js = client.jetstream(nc);
    let consumer;
    if (this.durable) {
      const name = this.o.consumer ?? consumerName(this.opts.source);
      await jsm.consumers.delete(stream, name).catch((e: unknown) => {
        if (!isNotFound(e, CONSUMER_NOT_FOUND)) throw e;
      });
      await jsm.consumers.add(stream, {
        durable_name: name,
        description: `sluice source ${this.opts.source}: acknowledged up to its last checkpoint`,
        ack_policy: AckPolicy.All,
        ack_wait: transport.nanos(ACK_WAIT_MS),
        // Acks wait for a checkpoint: a cap on unacknowledged messages would stall reading.
        max_ack_pending: -1,
        filter_subject: subject,
        replay_policy: ReplayPolicy.Instant,
        ...start,
      });
      consumer = await js.consumers.get(stream, name);
    } else {
      consumer = await js.consumers.get(stream, { filter_subjects: subject, ...start });
    }
    if (this.endSeq !== null && (await consumer.info(true)).num_pending === 0) {
      this.done = true;
      return;
    }
    const messages = await consumer.consume({ max_messages: PULL_MESSAGES, abort_on_missing_resource: true });
    this.messages = messages;
    void this.pump(messages);
  }

  /**
   * Builds messages into the batch as they arrive, so a message dies young (no queue of
   * JsMsg objects outliving scavenges); pauses at `limit` events, and since the client
   * sends its next pull only as its iterator advances, pausing also stops the pulls.
   */
  private async pump(messages: ConsumerMessages): Promise<void> {
    const ack = this.ack;
    try {
      for await (const m of messages) {
        while (this.asm.events >= this.limit && !this.closed) await new Promise<void>((r) => (this.room = r));
        if (this.closed || this.builtEnd) break;
        ack.read(m);
        const seq = ack.seq;
        // A redelivery of a message taken before.
        if (seq <= this.builtSeq) continue;
        if (this.endSeq !== null && seq > this.endSeq) {
          this.builtEnd = true;
          break;
        }
        this.take(m, seq);
        this.builtSeq = seq;
        this.builtMsg = m;
        this.builtPending = ack.pending;
        if (this.endSeq !== null && (seq >= this.endSeq || ack.pending === 0)) {
          this.builtEnd = true;
          break;
        }
        if (this.wake !== null && this.asm.events >= this.wantAt) this.signal();
      }
    } catch (e) {
      this.pumpError = e;
    } finally {
      this.pumpDone = true;
      this.signal();
    }
  }

  private resume(): void {
    const r = this.room;
    if (r !== null) {
      this.room = null;
      r();
    }
  }

  private signal(): void {
    const w = this.wake;
    if (w !== null) {
      this.wake = null;
      w();
    }
  }

  /** Waits (at most `ms`) until `count` events are built. */
  private async waitFor(count: number, ms: number): Promise<void> {
    if (this.asm.events >= count || this.pumpDone || ms <= 0) return;
    this.wantAt = count;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((r) => {
      this.wake = r;
      timer = setTimeout(r, ms);
    });
    clearTimeout(timer);
    this.wake = null;
  }

  async next(maxRows: number): Promise<ReadBatch | null> {
    if (this.closed) throw new SluiceError('CONNECTOR', `${this.who}: reader of stream ${this.o.stream} is closed`);
    if (this.done) return null;
    const max = clampMaxRows(maxRows);
    // The pump built ahead up to the previous call's maxRows: a batch exceeds this call's
    // only when a caller lowers it between calls.
    this.limit = max;
    this.resume();
    try {
      if (this.messages === null) await this.start();
    } catch (e) {
      throw natsError(this.who, e, `cannot read stream '${this.o.stream}'`);
    }
    if (this.done) return null;
    const asm = this.asm;
    await this.waitFor(1, POLL_MS);
    const until = Date.now() + LINGER_MS;
    // Catching up (the stream holds more): let the batch fill; reading live: go at once.
    while (asm.events < max && this.builtPending > 0 && !this.pumpDone) {
      const left = until - Date.now();
      if (left <= 0) break;
      await this.waitFor(max, left);
    }
    if (asm.events === 0 && this.pumpDone) {
      if (this.builtEnd) {
        this.done = true;
        return null;
      }
      const e = this.pumpError;
      throw e === null ? new SluiceError('CONNECTOR', `${this.who}: reading stream '${this.o.stream}' stopped`) : natsError(this.who, e, `reading stream '${this.o.stream}'`);
    }
    if (this.builtSeq > this.lastSeq) {
      this.lastSeq = this.builtSeq;
      if (this.durable) this.unacked.push({ seq: this.lastSeq, msg: this.builtMsg! });
    }
    this.builtMsg = null;
    const rows = asm.rows;
    const b = asm.finish();
    const names = this.names;
    this.names = [];
    this.nameIds.clear();
    const progress = this.progress;
    this.progress = null;
    this.resume();
    const out = rows === 0 ? b : { ...b, partitions: { ids: this.partIds.slice(0, rows), names } };
    return progress === null ? out : { ...out, progress };
  }

  /** One message into the batch: a row of its partition, or a dead letter. */
  private take(m: JsMsg, seq: number): void {
    const data = m.data;
    const part = this.partition(m.subject);
    let reason: string | null;
    if ('reason' in part) reason = part.reason;
    else if (data.length === 0 && this.o.repartition && this.watermarkMessage(m, part.name)) return;
    else {
      this.stage.clear();
      reason = data.length === 0 ? 'empty message' : this.parser.parse(data, 0, data.length);
      const et = this.eventTime;
      if (reason === null && et !== null && this.stage.kind[et] === S_NULL) reason = `missing event time column ${this.opts.schema[et]!.name}`;
      if (reason === null) {
        const row = this.asm.rows;
        this.asm.addRow(this.stage, seq);
        if (row === this.partIds.length) {
          const ids = new Int32Array(row * 2);
          ids.set(this.partIds);
          this.partIds = ids;
        }
        let id = this.nameIds.get(part.name);
        if (id === undefined) {
          id = this.names.push(part.name) - 1;
          this.nameIds.set(part.name, id);
        }
        this.partIds[row] = id;
        return;
      }
    }
    this.asm.addDeadLetter(seq, decoder.decode(data), `stream ${this.o.stream} sequence ${seq} (subject ${m.subject}): ${reason}`);
  }

  /** Takes a repartition stream's watermark message; false when `m` is not one. */
  private watermarkMessage(m: JsMsg, partition: string): boolean {
    const h = m.headers?.get(EVENT_TIME_HEADER);
    const t = h === undefined || h === '' ? NaN : Number(h);
    if (!Number.isFinite(t)) return false;
    this.progress ??= new Map();
    if (!(t <= (this.progress.get(partition) ?? -Infinity))) this.progress.set(partition, t);
    return true;
  }

  private partition(subject: string): { name: string } | { reason: string } {
    let p = this.partitionOf.get(subject);
    if (p === undefined) {
      const name = subject.slice(subject.lastIndexOf('.') + 1);
      const n = this.o.partitions;
      p = n !== null && !(/^(0|[1-9]\d*)$/.test(name) && Number(name) < n) ? { reason: `partition '${name}' is not one of 0 … ${n - 1} (partitions = ${n})` } : { name };
      if (this.partitionOf.size < 100_000) this.partitionOf.set(subject, p);
    }
    return p;
  }

  position(): unknown {
    return { stream: this.o.stream, seq: this.lastSeq };
  }

  committed(position: unknown): void {
    const seq = (position as { seq?: unknown } | null)?.seq;
    if (typeof seq !== 'number' || this.closed) return;
    // Ack policy "all": acknowledging the newest message the checkpoint holds covers those before it.
    let i = 0;
    while (i < this.unacked.length && this.unacked[i]!.seq <= seq) i++;
    if (i === 0) return;
    this.unacked[i - 1]!.msg.ack();
    this.unacked = this.unacked.slice(i);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resume();
    this.signal();
    try {
      await this.messages?.close();
    } catch {
      // Closing after the connection broke: nothing left to release.
    }
    // Acks are published asynchronously: flush them before the connection goes.
    await this.session.nc.flush().catch(() => undefined);
    await closeSession(this.session);
  }
}
