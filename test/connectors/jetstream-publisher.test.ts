/**
 * The batched JetStream publisher (core publishes, PubAcks counted on one inbox) against the
 * machine's real NATS server: `settle()` resolves only once the stream holds every message,
 * the server still drops a repeated `Nats-Msg-Id`, and every way an ack can fail — an error
 * ack, no stream taking the subject, no ack at all — fails the batch, and the nats sink's
 * flush with it, for good.
 */
import { DiscardPolicy } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from '../../src/connectors/nats/jetstream-publisher.js';
import { openSink } from '../../src/connectors/sinks/file-sink.js';
import { appendOnlyBatch, batchFromRows } from '../../src/exec/batch.js';
import type { Schema } from '../../src/types.js';
import { cleanup, openNats, readAll, stream, type Nats } from './nats-helpers.js';

let nats: Nats;
const pid = process.pid;
const enc = new TextEncoder();

beforeAll(async () => {
  nats = await openNats();
});
afterAll(async () => {
  await cleanup(nats);
});

describe('JetStream publisher', () => {
  it('settles once the stream holds every message, across many windows, and keeps server-side dedup', async () => {
    const { stream: s, prefix } = await stream(nats, 'pubok');
    const pub = await JetStreamPublisher.open(nats.nc, { maxInFlight: 64, timeoutMs: 10_000 });
    try {
      for (let i = 0; i < 1000; i++) {
        if (pub.full) await pub.room();
        pub.publish(`${prefix}.${i % 3}`, enc.encode(JSON.stringify({ i })), `pubok:${i}`);
      }
      await pub.settle();
      // Without waiting: settle() already means stored.
      expect((await nats.jsm.streams.info(s)).state.messages).toBe(1000);
      // A replay of ids 990…1009: the first ten are duplicates the server drops.
      for (let i = 990; i < 1010; i++) pub.publish(`${prefix}.${i % 3}`, enc.encode(JSON.stringify({ i })), `pubok:${i}`);
      await pub.settle();
    } finally {
      pub.close();
    }
    const msgs = await readAll(nats, s);
    expect(msgs.map((m) => m.json['i'])).toEqual(Array.from({ length: 1010 }, (_, i) => i));
    expect(msgs[5]!.id).toBe('pubok:5');
  });

  it('fails on an error ack (stream full, discard new) and stays failed', async () => {
    const s = `T${pid}_PUBFULL`;
    nats.streams.add(s);
    await nats.jsm.streams.add({ name: s, subjects: [`t${pid}.pubfull.*`], max_msgs: 5, discard: DiscardPolicy.New });
    const pub = await JetStreamPublisher.open(nats.nc, { maxInFlight: 1024, timeoutMs: 10_000 });
    try {
      for (let i = 0; i < 8; i++) pub.publish(`t${pid}.pubfull.0`, enc.encode('{}'), `full:${i}`);
      await expect(pub.settle()).rejects.toThrow(/maximum messages exceeded/);
      expect(() => pub.publish(`t${pid}.pubfull.0`, enc.encode('{}'), 'full:9')).toThrow(/maximum messages exceeded/);
      await expect(pub.settle()).rejects.toThrow(/maximum messages exceeded/);
    } finally {
      pub.close();
    }
  });

  it('fails when no stream takes the subject (503), and when no ack comes in time', async () => {
    const none = await JetStreamPublisher.open(nats.nc, { maxInFlight: 1024, timeoutMs: 10_000 });
    try {
      none.publish(`t${pid}.nostream.0`, enc.encode('{}'), 'none:1');
      await expect(none.settle()).rejects.toThrow(/no JetStream stream takes the subject/);
    } finally {
      none.close();
    }
    // A core subscriber that never answers: the server sees interest, so no 503 comes either.
    const mute = nats.nc.subscribe(`t${pid}.mute.*`, { callback: () => undefined });
    const slow = await JetStreamPublisher.open(nats.nc, { maxInFlight: 1024, timeoutMs: 300 });
    try {
      slow.publish(`t${pid}.mute.0`, enc.encode('{}'), 'mute:1');
      const t = Date.now();
      await expect(slow.settle()).rejects.toThrow(/timed out after 300 ms .* 1 of 1 messages/);
      expect(Date.now() - t).toBeLessThan(5000);
    } finally {
      slow.close();
      mute.unsubscribe();
    }
  });

  it("fails the nats sink's flush when the stream refuses a message, and every flush after", async () => {
    const s = `T${pid}_SINKFULL`;
    nats.streams.add(s);
    await nats.jsm.streams.add({ name: s, subjects: [`t${pid}.sinkfull`], max_msgs: 30, discard: DiscardPolicy.New });
    const schema: Schema = [{ name: 'id', type: 'BIGINT' }];
    const batch = (from: number, n: number) => appendOnlyBatch(batchFromRows(schema, Array.from({ length: n }, (_, i) => [from + i])), null, -Infinity);
    const sink = openSink('nats', { name: 'full', schema, appendOnly: true, options: { connector: 'nats', stream: s, subject: `t${pid}.sinkfull` }, baseDir: '.' });
    try {
      sink.write(batch(0, 20));
      expect(await sink.flush()).toBe(20);
      sink.write(batch(20, 20));
      await expect(sink.flush()).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("sink 'full'") });
      await expect(sink.flush()).rejects.toMatchObject({ message: expect.stringContaining('maximum messages exceeded') });
    } finally {
      await sink.close().catch(() => undefined);
    }
    expect((await nats.jsm.streams.info(s)).state.messages).toBe(30);
  });
});
