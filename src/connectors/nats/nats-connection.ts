/**
 * What the nats source and sink share: the options both take, a connection that fails fast
 * (a bounded connect timeout, no endless reconnect loop at start) and the translation of
 * the client's errors into SluiceError('CONNECTOR') naming the source or sink at fault.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { loadNatsClient, STREAM_NOT_FOUND } from './nats-client.js';
import { SluiceError } from '../../errors.js';
import type { SourceOptions } from '../source-reader.js';
import { numberOption, stringOption } from '../options.js';

export const DEFAULT_SERVERS = 'nats://127.0.0.1:4222';

/** How long a connection, and each JetStream API call, may take before it is an error. */
const CONNECT_TIMEOUT_MS = 5000;
const API_TIMEOUT_MS = 10_000;

/** `servers`: one URL or a comma-separated list. */
export function serversOption(options: SourceOptions): string[] {
  const v = stringOption(options, 'servers') ?? DEFAULT_SERVERS;
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new SluiceError('CONNECTOR', `option 'servers' must name at least one server, got '${v}'`);
  return list;
}

/** `partitions` (or another count option): how many partitions the subject has (a positive integer), or null. */
export function partitionsOption(options: SourceOptions, name = 'partitions'): number | null {
  return numberOption(options, name, { integer: true, positive: true }) ?? null;
}

/** Stream names may not hold whitespace, `.`, `*`, `>` or path separators (NATS rejects them). */
export function checkStreamName(name: string): string {
  if (!/^[^\s.*>/\\]+$/.test(name)) throw new SluiceError('CONNECTOR', `option 'stream' must be a JetStream stream name (no spaces, '.', '*', '>', '/'), got '${name}'`);
  return name;
}

/** A subject: dot-separated tokens, none empty. */
export function checkSubject(subject: string): string {
  if (!/^[^\s.]+(\.[^\s.]+)*$/.test(subject)) throw new SluiceError('CONNECTOR', `option 'subject' must be a NATS subject ('orders' or 'orders.*'), got '${subject}'`);
  return subject;
}

export interface NatsSession {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
}

/**
 * Connects and checks that the server runs JetStream. `who` names the source or sink
 * ("source 'orders'") in every error.
 */
export async function openSession(servers: readonly string[], who: string): Promise<NatsSession> {
  const { transport, js } = await loadNatsClient();
  let nc: NatsConnection;
  try {
    nc = await transport.connect({
      servers: [...servers],
      timeout: CONNECT_TIMEOUT_MS,
      name: `sluice ${who}`,
      // Once connected, ride out a server restart; the first connect fails at once instead.
      maxReconnectAttempts: 60,
      reconnectTimeWait: 1000,
      noAsyncTraces: true,
    });
  } catch (e) {
    throw new SluiceError('CONNECTOR', `${who}: cannot connect to NATS at ${servers.join(', ')}: ${describe(e)}`);
  }
  try {
    const jsm = await js.jetstreamManager(nc, { timeout: API_TIMEOUT_MS });
    return { nc, jsm };
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw natsError(who, e, `JetStream is not available at ${servers.join(', ')}`);
  }
}

export async function closeSession(s: NatsSession | null): Promise<void> {
  if (s === null || s.nc.isClosed()) return;
  await s.nc.close().catch(() => undefined);
}

/** True when `e` says the stream (or consumer) does not exist. */
export function isNotFound(e: unknown, code: number = STREAM_NOT_FOUND): boolean {
  // The client's JetStreamApiError, told by its shape: the class is loaded only with the client.
  return e instanceof Error && 'apiError' in e && (e as { code?: unknown }).code === code;
}

/** The client's error as a one-line message. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const msg = e.message || e.name;
    return cause instanceof Error && cause.message && !msg.includes(cause.message) ? `${msg} (${cause.message})` : msg;
  }
  return String(e);
}

export function natsError(who: string, e: unknown, context?: string): SluiceError {
  if (e instanceof SluiceError) return e;
  return new SluiceError('CONNECTOR', `${who}: ${context === undefined ? '' : `${context}: `}${describe(e)}`);
}
