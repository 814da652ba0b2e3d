/**
 * Publishing to JetStream for the price of a core publish: each message goes out with
 * `nc.publish` to the stream's subject with a reply subject, the publisher's one inbox,
 * where the server sends the message's PubAck (`{"stream":…,"seq":…}`, or `{"error":…}`,
 * or a 503 status when no stream takes the subject). The client's `js.publish` cost the
 * nats sink ~7x the CPU per message (47 against 6.3 µs): a request per message (a mux
 * entry, a RequestError built for its stack, a timer) and an await per ack.
 *
 * Acks are only counted: `settle()` resolves once every message published so far is
 * acknowledged, so a checkpoint that awaits it depends only on stored messages. Any error
 * ack, a 503, or no ack for `timeoutMs` while waiting fails the publisher for good: which of
 * the messages the stream holds is then unknown, so nothing may count as published (the
 * caller replays from its last checkpoint; `Nats-Msg-Id` makes the replay exactly-once).
 */
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { loadNatsClient, type NatsClient } from './nats-client.js';

export interface PublisherOptions {
  /** Messages awaiting their ack at most: `full` says when to await `room()`. */
  readonly maxInFlight: number;
  /** How long a wait may go without any ack before the publisher fails. */
  readonly timeoutMs: number;
}

/** `{"stream"`: how every successful PubAck starts (the server puts `error` first when there is one). */
const OK_PREFIX = [0x7b, 0x22, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x22];

function isOk(d: Uint8Array): boolean {
  if (d.length < OK_PREFIX.length) return false;
  for (let i = 0; i < OK_PREFIX.length; i++) if (d[i] !== OK_PREFIX[i]) return false;
  return true;
}

/** Why an ack that is not a plain success failed, or null when it is a success after all. */
function ackError(m: Msg): Error | null {
  const d = m.data;
  if (d.length === 0) {
    const h = m.headers;
    const code = h?.code ?? 0;
    return new Error(code === 503 ? 'no JetStream stream takes the subject (503 no responders)' : `JetStream answered status ${code}${h?.description ? ` ${h.description}` : ''}`);
  }
  let ack: { stream?: unknown; error?: { code?: number; err_code?: number; description?: string } };
  try {
    ack = JSON.parse(new TextDecoder().decode(d)) as typeof ack;
  } catch {
    return new Error('invalid JetStream publish ack');
  }
  if (ack.error !== undefined) return new Error(`JetStream refused a message: ${ack.error.description ?? 'error'} (${ack.error.code ?? '?'}/${ack.error.err_code ?? '?'})`);
  return typeof ack.stream === 'string' && ack.stream !== '' ? null : new Error('invalid JetStream publish ack');
}

export class JetStreamPublisher {
  private sent = 0;
  private acked = 0;
  private failure: Error | null = null;
  /** The pending `room()` or `settle()`: resolved once `acked` reaches `target`. */
  private waiter: { target: number; resolve: () => void; reject: (e: Error) => void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly sub: Subscription;
  private readonly reply: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly client: NatsClient,
    private readonly options: PublisherOptions,
  ) {
    this.reply = client.transport.createInbox();
    // A callback, not an iterator: no promise per ack.
    this.sub = nc.subscribe(this.reply, { callback: (err, m) => (err === null ? this.onAck(m) : this.fail(err)) });
  }

  /** Subscribes the reply inbox on `nc`; SUB goes out before any PUB, so no ack can miss it. */
  static async open(nc: NatsConnection, options: PublisherOptions): Promise<JetStreamPublisher> {
    return new JetStreamPublisher(nc, await loadNatsClient(), options);
  }

  /** True when as many messages as allowed await their ack: await `room()` before the next. */
  get full(): boolean {
    return this.sent - this.acked >= this.options.maxInFlight;
  }

  /**
   * Publishes one message; `msgId` goes in `Nats-Msg-Id` (the server drops a message whose
   * id it holds). Throws once the publisher has failed.
   */
  publish(subject: string, data: Uint8Array, msgId: string | null, headers?: MsgHdrs): void {
    if (this.failure !== null) throw this.failure;
    let h = headers;
    if (msgId !== null) {
      h ??= this.client.transport.headers();
      h.set('Nats-Msg-Id', msgId);
    }
    this.nc.publish(subject, data, h === undefined ? { reply: this.reply } : { headers: h, reply: this.reply });
    this.sent++;
  }

  /** Resolves once at most half the window awaits acks (half: one wake-up per many acks). */
  room(): Promise<void> {
    return this.until(this.sent - (this.options.maxInFlight >> 1));
  }

  /** Resolves once every message published so far is acknowledged; rejects if any failed. */
  settle(): Promise<void> {
    return this.until(this.sent);
  }

  /** Stops listening for acks; messages not yet acknowledged are not waited for. */
  close(): void {
    this.fail(new Error('the JetStream publisher is closed'));
    if (!this.sub.isClosed()) this.sub.unsubscribe();
  }

  private until(target: number): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.acked >= target) return Promise.resolve();
    if (this.waiter !== null) return Promise.reject(new Error('the JetStream publisher is already being waited for'));
    return new Promise<void>((resolve, reject) => {
      this.waiter = { target, resolve, reject };
      this.timer = setTimeout(() => {
        this.fail(new Error(`timed out after ${this.options.timeoutMs} ms waiting for JetStream to acknowledge ${this.sent - this.acked} of ${this.sent} messages`));
      }, this.options.timeoutMs);
    });
  }

  private onAck(m: Msg): void {
    this.acked++;
    if (!isOk(m.data)) {
      const e = ackError(m);
      if (e !== null) return this.fail(e);
    }
    const w = this.waiter;
    if (w === null) return;
    if (this.acked >= w.target) {
      this.waiter = null;
      clearTimeout(this.timer!);
      this.timer = null;
      w.resolve();
    } else {
      this.timer!.refresh();
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    w?.reject(this.failure);
  }
}
