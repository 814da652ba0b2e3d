/**
 * The nats source pulls from its consumer itself (no client `consume()`): a consumer deleted
 * under a reader fails it with a CONNECTOR error instead of leaving it waiting, a replay's
 * ephemeral consumer is gone once it has read to the end, and reading live picks up
 * messages published after a wait; it says when it has data to read (real NATS server,
 * 127.0.0.1:4222).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNatsReader } from '../../src/connectors/nats/nats-source.js';
import type { ReaderOptions } from '../../src/connectors/source-reader.js';
import { cleanup, openNats, publish, SERVERS, stream, type Nats } from './nats-helpers.js';

let nats: Nats;
beforeAll(async () => {
  nats = await openNats();
});
afterAll(async () => {
  await cleanup(nats);
});

function options(s: string, prefix: string, extra: Record<string, string> = {}): ReaderOptions {
  return {
    source: 'pull',
    schema: [{ name: 'i', type: 'BIGINT' }],
    eventTimeColumn: null,
    options: { servers: SERVERS, stream: s, subject: `${prefix}.*`, ...extra },
    baseDir: '.',
  };
}

describe('nats source pulls', () => {
  it('reads live messages published after a wait, and fails once its consumer is deleted', async () => {
    const { stream: s, prefix } = await stream(nats, 'pull');
    const r = await openNatsReader(options(s, prefix));
    try {
      expect((await r.next(100))!.data.numRows).toBe(0);
      await new Promise((res) => setTimeout(res, 300));
      await publish(nats, s, [[`${prefix}.0`, '{"i":1}'], [`${prefix}.1`, '{"i":2}']]);
      let rows = 0;
      for (let k = 0; k < 50 && rows < 2; k++) rows += (await r.next(100))!.data.numRows;
      expect(rows).toBe(2);
      expect(r.position()).toEqual({ stream: s, seq: 2 });
      await nats.jsm.consumers.delete(s, 'sluice_pull');
      let err: unknown = null;
      for (let k = 0; k < 100 && err === null; k++) await r.next(100).catch((e: unknown) => (err = e));
      expect(String(err)).toMatch(/source 'pull'.*Consumer Deleted/);
    } finally {
      await r.close();
    }
  });

  it('says when it has data, so background reading waits for it without holding the engine', async () => {
    const { stream: s, prefix } = await stream(nats, 'ready');
    const r = await openNatsReader(options(s, prefix));
    try {
      // Not started: next() must run to start it.
      expect(r.ready!()).toBe(true);
      expect((await r.next(100))!.data.numRows).toBe(0);
      expect(r.ready!()).toBe(false);
      await r.whenReady!(50);
      expect(r.ready!()).toBe(false);
      const arrived = r.whenReady!(60_000);
      await publish(nats, s, [[`${prefix}.0`, '{"i":1}']]);
      await arrived;
      expect(r.ready!()).toBe(true);
      expect((await r.next(100))!.data.numRows).toBe(1);
      expect(r.ready!()).toBe(false);
    } finally {
      await r.close();
    }
  });

  it('removes a replay’s ephemeral consumer once it has read to the end', async () => {
    const { stream: s, prefix } = await stream(nats, 'replay');
    await publish(nats, s, Array.from({ length: 40 }, (_, i) => [`${prefix}.${i % 2}`, `{"i":${i}}`] as const));
    const r = await openNatsReader({ ...options(s, prefix), replay: true });
    let rows = 0;
    for (let b = await r.next(7); b !== null; b = await r.next(7)) rows += b.data.numRows;
    await r.close();
    expect(rows).toBe(40);
    expect((await nats.jsm.streams.info(s)).state.consumer_count).toBe(0);
  });
});
