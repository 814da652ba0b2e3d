/**
 * The NATS client, loaded on first use: a job without a nats source or sink does not pay
 * for loading it at start-up (~60 ms of `sluice run`). Codes of the JetStream API errors
 * sluice tells apart are constants here, so checking an error needs no loaded client.
 */
import type * as JetStream from '@nats-io/jetstream';
import type * as Transport from '@nats-io/transport-node';

export interface NatsClient {
  readonly js: typeof JetStream;
  readonly transport: typeof Transport;
}

/** JetStream API error codes (JetStreamApiCodes). */
export const STREAM_NOT_FOUND = 10059;
export const CONSUMER_NOT_FOUND = 10014;

let loading: Promise<NatsClient> | null = null;

export function loadNatsClient(): Promise<NatsClient> {
  loading ??= Promise.all([import('@nats-io/jetstream'), import('@nats-io/transport-node'), import('./fast-parser.js')]).then(([js, transport, parser]) => {
    parser.installFastParser();
    return { js, transport };
  });
  return loading;
}
