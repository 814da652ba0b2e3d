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
 * Reading pulls from the consumer directly (`$JS.API.CONSUMER.MSG.NEXT` requests answered
 * on a core subscription) rather than through the client's `consume()`: its per-message
 * JsMsg, async iterator and subject decoding cost about as much as the rest of the source.
 * Messages are decoded as they arrive straight into the column builders of the next batch,
 * up to the caller's `maxRows`; those arriving while a batch is full wait in a queue, and no
 * more are pulled until it drains. Sequences come from the reply subject, read as bytes.
 * Idle heartbeats tell a pull the server lost (a restart): unanswered, the credit is
 * asked again, after checking the consumer still exists.
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
import type { Msg, Subscription } from '@nats-io/transport-node';
import { SluiceError } from '../../errors.js';
import type { Schema } from '../../types.js';
import { clampMaxRows } from '../batch-limits.js';
import { BatchAssembler } from '../file/batch-assembler.js';
import { JsonRowParser } from '../file/jsonl-reader.js';
import { RowStage, S_NULL } from '../file/row-stage.js';
import { booleanOption, checkKnownOptions, enumOption, requiredString, stringOption } from '../options.js';
import type { Backlog, ReadBatch, ReaderOptions, SourceOptions, SourceReader } from '../source-reader.js';
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
/** A pull expires after this long without filling (then is asked again), and heartbeats while idle. */
const PULL_EXPIRES_MS = 30_000;
const HEARTBEAT_MS = 5_000;
/** A replay's ephemeral consumer is removed by the server this long after its reader is gone. */
const EPHEMERAL_INACTIVE_MS = 10 * 60 * 1000;
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
const encoder = new TextEncoder();
const ACK = Uint8Array.of(43, 65, 67, 75); // +ACK

/** The client's message internals: payload and reply bytes, read without its per-message getters (a decode, a subarray). */
interface RawMsg {
  readonly _msg?: { readonly subject: Uint8Array; readonly reply?: Uint8Array; readonly hdr: number };
  readonly _rdata?: Uint8Array;
}

/** Dots of the reply subject being read; reused so reading allocates nothing. */
const replyDots = new Int32Array(12);

/** The digits of `b[from, to)`; NaN when empty or not all digits. */
function digitsOf(b: Uint8Array, from: number, to: number): number {
  if (from >= to) return NaN;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/** What a delivery's reply subject tells: stream sequence, delivery sequence, pending count. */
export class ReplyInfo {
  seq = NaN;
  dseq = NaN;
  pending = NaN;
}

/**
 * Reads a reply subject's bytes as AckSubject reads its string
 * (`$JS.ACK.[<domain>.<hash>.]<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.…]`),
 * without decoding it; false when it is not one.
 */
export function readReply(b: Uint8Array, out: ReplyInfo): boolean {
  let n = 0;
  for (let i = 0; i < b.length && n < 12; i++) if (b[i] === 46) replyDots[n++] = i;
  // "$JS.ACK."
  if (n < 8 || b[0] !== 36 || b[1] !== 74 || b[2] !== 83 || b[3] !== 46 || b[4] !== 65 || b[5] !== 67 || b[6] !== 75 || b[7] !== 46) return false;
  const base = n === 8 ? 0 : 2;
  const tok = (t: number) => digitsOf(b, replyDots[t - 1]! + 1, t < n ? replyDots[t]! : b.length);
  const seq = tok(5 + base);
  const dseq = tok(6 + base);
  const pending = tok(8 + base);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(dseq) || !Number.isSafeInteger(pending)) return false;
  out.seq = seq;
  out.dseq = dseq;
  out.pending = pending;
  return true;
}

/** A status message's pending count (what an ended pull had left), 0 when it names none. */
function pendingOf(m: Msg): number {
  const v = Number(m.headers?.get('Nats-Pending-Messages') ?? '');
  return Number.isSafeInteger(v) && v > 0 ? v : 0;
}

class NatsReader implements SourceReader {
  readonly bounded: boolean;
  readonly heldPartitions?: readonly string[];
  private readonly who: string;
  private readonly asm: BatchAssembler;
  private readonly stage: RowStage;
  private readonly parser: JsonRowParser;
  private readonly eventTime: number | null;
  /** Reads through the durable consumer (not a replay's ephemeral one). */
  private readonly durable: boolean;
  /** Acknowledges at checkpoints: a durable consumer of an engine with a file. */
  private readonly acking: boolean;
  private sub: Subscription | null = null;
  private inbox = '';
  private pullSubject = '';
  /** The consumer read (the durable's name, or the server's name of a replay's ephemeral one). */
  private consumer = '';
  /** Messages asked for and not yet delivered. */
  private credit = 0;
  /** Messages delivered while the batch was full, taken by the next `next()`. */
  private queue: Msg[] = [];
  private queueHead = 0;
  /** Heard from the server since the last heartbeat check, and checks in a row without. */
  private heard = false;
  private silent = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Wakes `next()` waiting until `wantAt` events are built. */
  private wake: (() => void) | null = null;
  private wantAt = 1;
  /** The most events built ahead of `next()` (its last `maxRows`). */
  private limit = 1;
  private pumpError: unknown = null;
  private pumpDone = false;
  /** Stream sequence of the last message handed out: the position. */
  private lastSeq: number;
  /** Callers of whenReady waiting for something to arrive. */
  private readyWaiters: (() => void)[] = [];
  /** Stream sequence of the last message built into the batch in progress. */
  private builtSeq: number;
  /** The last message built, and its pending count (> 0: the stream holds more for us). */
  private builtMsg: Msg | null = null;
  private builtPending = 0;
  /** A delivery since the last backlog() said more were waiting. */
  private waited = false;
  /** The last message of a bounded read is built. */
  private builtEnd = false;
  private done = false;
  private closed = false;
  /** The reply subject of the last message of each batch handed out, to acknowledge once a checkpoint holds it. */
  private unacked: { seq: number; reply: string }[] = [];
  /** Partition of each row of the batch being built, as an index into `names`. */
  private partIds = new Int32Array(1024);
  private names: string[] = [];
  private nameIds = new Map<string, number>();
  /** Subject → its partition, or the dead-letter reason when it names none. */
  private readonly partitionOf = new Map<string, { name: string } | { reason: string }>();
  private readonly ack = new ReplyInfo();
  /** Delivery sequence of the last delivery: the consumer numbers them 1, 2, … without gaps. */
  private lastDseq = 0;
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
    this.acking = this.durable && opts.durable !== false;
    this.asm = new BatchAssembler(opts.source, opts.schema);
    this.stage = new RowStage(opts.schema);
    this.parser = new JsonRowParser(opts.schema, this.stage);
    this.eventTime = opts.eventTimeColumn;
    this.lastSeq = after;
    this.builtSeq = after;
    if (o.repartition) this.heldPartitions = Array.from({ length: o.partitions! }, (_, i) => String(i));
  }

  /** Creates the consumer at the position and starts pulling (at the first `next()`, not at open). */
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
    let info;
    if (this.durable) {
      const name = this.o.consumer ?? consumerName(this.opts.source);
      await jsm.consumers.delete(stream, name).catch((e: unknown) => {
        if (!isNotFound(e, CONSUMER_NOT_FOUND)) throw e;
      });
      info = await jsm.consumers.add(stream, {
        durable_name: name,
        filter_subject: subject,
        replay_policy: ReplayPolicy.Instant,
        ...start,
        ...(this.acking
          ? {
              description: `sluice source ${this.opts.source}: acknowledged up to its last checkpoint`,
              ack_policy: AckPolicy.All,
              ack_wait: transport.nanos(ACK_WAIT_MS),
              // Acks wait for a checkpoint: a cap on unacknowledged messages would stall reading.
              max_ack_pending: -1,
            }
          : {
              // In memory no checkpoint ever holds a message: acks held for good would have the
              // server track every message read as pending (6.3 against 2.9 µs of its CPU per
              // message at 1.5M) and redeliver them all once ack_wait passed.
              description: `sluice source ${this.opts.source}: in memory, acknowledges nothing`,
              ack_policy: AckPolicy.None,
            }),
      });
    } else {
      // A replay acknowledges nothing and keeps nothing: the server drops the consumer once unused.
      info = await jsm.consumers.add(stream, {
        description: `sluice source ${this.opts.source}: replay`,
        ack_policy: AckPolicy.None,
        filter_subject: subject,
        replay_policy: ReplayPolicy.Instant,
        inactive_threshold: transport.nanos(EPHEMERAL_INACTIVE_MS),
        mem_storage: true,
        num_replicas: 1,
        ...start,
      });
    }
    this.consumer = info.name;
    if (this.endSeq !== null && info.num_pending === 0) {
      this.done = true;
      await this.dropEphemeral();
      return;
    }
    this.inbox = transport.createInbox();
    this.pullSubject = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${info.name}`;
    this.sub = nc.subscribe(this.inbox, { callback: (err, m) => (err === null ? this.receive(m) : this.fail(err)) });
    this.heartbeat = setInterval(() => this.checkHeartbeat(), HEARTBEAT_MS);
    this.heartbeat.unref?.();
    this.pull();
  }

  /** Asks for more while nothing waits in the queue and the batch has room. */
  private pull(): void {
    if (this.sub === null || this.closed || this.pumpDone || this.builtEnd) return;
    if (this.credit > PULL_MESSAGES / 2 || this.queueHead < this.queue.length || this.asm.events >= this.limit) return;
    const body = `{"batch":${PULL_MESSAGES},"expires":${PULL_EXPIRES_MS * 1e6},"idle_heartbeat":${HEARTBEAT_MS * 1e6}}`;
    this.session.nc.publish(this.pullSubject, body, { reply: this.inbox });
    this.credit += PULL_MESSAGES;
  }

  /** Every message on the inbox: a delivery, or a status of the pulls (heartbeat, expiry, consumer gone). */
  private receive(m: Msg): void {
    const raw = (m as unknown as RawMsg)._msg;
    const status = raw !== undefined ? raw.reply === undefined || raw.reply.length === 0 : m.reply === '';
    if (status) {
      this.status(m);
      return;
    }
    this.heard = true;
    if (this.credit > 0) this.credit--;
    if (this.closed || this.builtEnd) return;
    if (this.queueHead < this.queue.length || this.asm.events >= this.limit) this.queue.push(m);
    else {
      this.build(m);
      if (this.wake !== null && (this.asm.events >= this.wantAt || this.builtEnd)) this.signal();
    }
    this.wakeReady();
    if (this.credit <= PULL_MESSAGES / 2) this.pull();
  }

  private status(m: Msg): void {
    const h = m.headers;
    const code = h?.code ?? 0;
    // No responders (the consumer or JetStream is gone): not heard, so the heartbeat check finds out which.
    if (code === 503) return;
    this.heard = true;
    if (code === 100) return; // idle heartbeat
    const desc = h?.description ?? '';
    // 409s other than a leadership change (consumer deleted, limits exceeded) do not pass by asking again.
    if (code === 409 && !/leadership/i.test(desc)) {
      this.fail(new SluiceError('CONNECTOR', `${this.who}: consumer '${this.consumer}' of stream '${this.o.stream}': ${desc}`));
      return;
    }
    if (code === 400) {
      this.fail(new SluiceError('CONNECTOR', `${this.who}: pulling from stream '${this.o.stream}': ${code} ${desc}`));
      return;
    }
    // A pull ended (expired, leadership change, …): what it had left is no longer coming.
    const left = pendingOf(m);
    this.credit = left > 0 ? Math.max(0, this.credit - left) : 0;
    this.pull();
  }

  /** Two heartbeats unheard while waiting on a pull: the server dropped it; ask again if the consumer is still there. */
  private checkHeartbeat(): void {
    const heard = this.heard;
    this.heard = false;
    // Reading paused (no credit asked) hears nothing, rightly.
    if (heard || this.credit === 0 || this.closed || this.pumpDone) {
      this.silent = 0;
      return;
    }
    if (++this.silent < 2) return;
    this.silent = 0;
    this.session.jsm.consumers.info(this.o.stream, this.consumer).then(
      () => {
        this.credit = 0;
        this.pull();
      },
      (e: unknown) => {
        if (isNotFound(e, CONSUMER_NOT_FOUND) || isNotFound(e)) this.fail(e);
      },
    );
  }

  private fail(e: unknown): void {
    if (this.pumpDone) return;
    this.pumpError = e;
    this.stop();
  }

  /** No more deliveries: the pump is done, and `next()` is told. */
  private stop(): void {
    this.pumpDone = true;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.sub?.unsubscribe();
    this.signal();
  }

  /** A delivery into the batch in progress (a redelivery of one taken before is skipped). */
  private build(m: Msg): void {
    const ack = this.ack;
    const reply = (m as unknown as RawMsg)._msg?.reply ?? encoder.encode(m.reply ?? '');
    if (!readReply(reply, ack)) {
      this.fail(new SluiceError('CONNECTOR', `${this.who}: stream '${this.o.stream}': a delivery without a JetStream reply subject ('${m.reply}')`));
      return;
    }
    // Deliveries lost in transit (a reconnect) would be skipped for good (a redelivery is
    // behind the position): stop, so a restart resumes from the checkpoint instead.
    if (ack.dseq !== this.lastDseq + 1) {
      this.fail(new SluiceError('CONNECTOR', `${this.who}: consumer '${this.consumer}' of stream '${this.o.stream}': deliveries ${this.lastDseq + 1} … ${ack.dseq - 1} were lost in transit (a reconnect?); reading stops so a restart resumes from the last checkpoint`));
      return;
    }
    this.lastDseq = ack.dseq;
    const seq = ack.seq;
    if (seq <= this.builtSeq) return;
    if (this.endSeq !== null && seq > this.endSeq) {
      this.builtEnd = true;
      this.stop();
      return;
    }
    this.take(m, seq);
    this.builtSeq = seq;
    this.builtMsg = m;
    this.builtPending = ack.pending;
    if (ack.pending > 0) this.waited = true;
    if (this.endSeq !== null && (seq >= this.endSeq || ack.pending === 0)) {
      this.builtEnd = true;
      this.stop();
    }
  }

  /** Builds queued deliveries into the new batch, up to `limit`. */
  private drain(): void {
    const q = this.queue;
    let i = this.queueHead;
    while (i < q.length && this.asm.events < this.limit && !this.builtEnd) this.build(q[i++]!);
    if (i === q.length || this.builtEnd) {
      this.queue = [];
      this.queueHead = 0;
    } else this.queueHead = i;
  }

  private signal(): void {
    this.wakeReady();
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
    // Built ahead up to the previous call's maxRows: a batch exceeds this call's only when a
    // caller lowers it between calls.
    this.limit = max;
    try {
      if (this.sub === null) await this.start();
    } catch (e) {
      throw natsError(this.who, e, `cannot read stream '${this.o.stream}'`);
    }
    if (this.done) return null;
    const asm = this.asm;
    this.drain();
    this.pull();
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
        await this.dropEphemeral();
        return null;
      }
      const e = this.pumpError;
      throw e === null ? new SluiceError('CONNECTOR', `${this.who}: reading stream '${this.o.stream}' stopped`) : natsError(this.who, e, `reading stream '${this.o.stream}'`);
    }
    if (this.builtSeq > this.lastSeq) {
      this.lastSeq = this.builtSeq;
      if (this.acking) this.unacked.push({ seq: this.lastSeq, reply: this.builtMsg!.reply! });
    }
    this.builtMsg = null;
    const rows = asm.rows;
    const b = asm.finish();
    const names = this.names;
    this.names = [];
    this.nameIds.clear();
    const progress = this.progress;
    this.progress = null;
    // What arrived while the batch was full starts the next one; then room for more.
    this.drain();
    this.pull();
    const out = rows === 0 ? b : { ...b, partitions: { ids: this.partIds.slice(0, rows), names } };
    return progress === null ? out : { ...out, progress };
  }

  /** One message into the batch: a row of its partition, or a dead letter. */
  private take(m: Msg, seq: number): void {
    const r = m as unknown as RawMsg;
    let data: Uint8Array;
    let from = 0;
    if (r._msg !== undefined && r._rdata !== undefined) {
      data = r._rdata;
      from = r._msg.hdr > -1 ? r._msg.hdr : 0;
    } else data = m.data;
    const part = this.partitionOfBytes(r._msg?.subject) ?? this.partition(m.subject);
    let reason: string | null;
    if ('reason' in part) reason = part.reason;
    else if (data.length === from && this.o.repartition && this.watermarkMessage(m, part.name)) return;
    else {
      this.stage.clear();
      reason = data.length === from ? 'empty message' : this.parser.parse(data, from, data.length);
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
    this.asm.addDeadLetter(seq, decoder.decode(data.subarray(from)), `stream ${this.o.stream} sequence ${seq} (subject ${m.subject}): ${reason}`);
  }

  /** Takes a repartition stream's watermark message; false when `m` is not one. */
  private watermarkMessage(m: Msg, partition: string): boolean {
    const h = m.headers?.get(EVENT_TIME_HEADER);
    const t = h === undefined || h === '' ? NaN : Number(h);
    if (!Number.isFinite(t)) return false;
    this.progress ??= new Map();
    if (!(t <= (this.progress.get(partition) ?? -Infinity))) this.progress.set(partition, t);
    return true;
  }

  /** Partitions of subjects whose last token is a number below 1024, by that number. */
  private readonly partitionByNumber: ({ name: string } | { reason: string } | undefined)[] = [];

  /**
   * The partition of a subject given as bytes, from its last token when that is a number
   * (the common case, `orders.3`), without decoding the subject; undefined otherwise.
   */
  private partitionOfBytes(b: Uint8Array | undefined): { name: string } | { reason: string } | undefined {
    if (b === undefined) return undefined;
    let i = b.length;
    while (i > 0 && b[i - 1] !== 46) i--;
    const len = b.length - i;
    // Canonical numbers only ("0", "17"; not "017"): their name is String(number).
    if (len === 0 || len > 4 || (len > 1 && b[i] === 48)) return undefined;
    const v = digitsOf(b, i, b.length);
    if (!(v < 1024)) return undefined;
    let p = this.partitionByNumber[v];
    if (p === undefined) {
      p = this.partition(String(v));
      this.partitionByNumber[v] = p;
    }
    return p;
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

  ready(): boolean {
    return this.sub === null || this.closed || this.done || this.pumpDone || this.builtEnd || this.builtSeq > this.lastSeq || this.queueHead < this.queue.length;
  }

  whenReady(ms: number): Promise<void> {
    if (this.ready()) return Promise.resolve();
    this.pull();
    return new Promise<void>((r) => {
      this.readyWaiters.push(r);
      setTimeout(r, ms);
    });
  }

  /** Wakes the callers of whenReady once something arrived (or reading stopped). */
  private wakeReady(): void {
    if (this.readyWaiters.length === 0) return;
    const ws = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of ws) w();
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
    this.session.nc.publish(this.unacked[i - 1]!.reply, ACK);
    this.unacked = this.unacked.slice(i);
  }

  backlog(): Backlog {
    const waiting = this.builtPending + (this.queue.length - this.queueHead) + this.asm.events;
    const waited = this.waited || waiting > 0;
    this.waited = false;
    return { waiting, waited };
  }

  /** A replay's ephemeral consumer, removed at once rather than left to expire. */
  private async dropEphemeral(): Promise<void> {
    if (this.durable || this.consumer === '') return;
    const name = this.consumer;
    this.consumer = '';
    await this.session.jsm.consumers.delete(this.o.stream, name).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.pumpDone) this.stop();
    this.signal();
    try {
      await this.dropEphemeral();
      // Acks are published asynchronously: flush them before the connection goes.
      await this.session.nc.flush();
    } catch {
      // Closing after the connection broke: nothing left to release.
    }
    await closeSession(this.session);
  }
}
