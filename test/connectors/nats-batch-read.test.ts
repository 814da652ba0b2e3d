/**
 * The nats source's batch path: sequences and pending counts read from ack subjects (without
 * the client's JsMsg.info) agree with the client's, and messages built into a batch ahead
 * of `next()` are neither lost nor doubled when the reader closes and reopens at its
 * position, dead letters included (real NATS server, 127.0.0.1:4222).
 */
import fc from 'fast-check';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckSubject } from '../../src/connectors/nats/ack-subject.js';
import { ackSubjects } from './ack-subjects.js';
import { openNatsReader } from '../../src/connectors/nats/nats-source.js';
import type { ReaderOptions, SourceReader } from '../../src/connectors/source-reader.js';
import { cleanup, openNats, publish, SERVERS, stream, type Nats } from './nats-helpers.js';

let nats: Nats;
beforeAll(async () => {
  nats = await openNats();
});
afterAll(async () => {
  await cleanup(nats);
});

/** The client's reading of an ack subject (its parseInfo), as the reference. */
function reference(s: string): { seq: number; pending: number } {
  const t = s.split('.');
  if (t.length === 9) t.splice(2, 0, '_', '');
  return { seq: parseInt(t[7]!, 10), pending: parseInt(t[10]!, 10) };
}

describe('AckSubject', () => {
  const subject = ackSubjects;

  it('reads sequence and pending as the client does, in every subject form, across consumers', () => {
    const a = new AckSubject();
    fc.assert(
      fc.property(fc.array(subject, { minLength: 1, maxLength: 6 }), (subjects) => {
        // Consecutive subjects of different consumers: the remembered prefix must not mislead.
        for (const x of subjects) {
          expect(a.parse(x.s)).toBe(true);
          expect({ seq: a.seq, pending: a.pending }).toEqual(reference(x.s));
          expect(a.seq).toBe(x.seq);
          expect(a.pending).toBe(x.pending);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses subjects that are not JetStream acks', () => {
    const a = new AckSubject();
    for (const s of ['', '_INBOX.abc', '$JS.ACK.S.C.1.2.3', '$JS.ACK.S.C.1.x.3.4.5', '$JS.ACK.S.C.1..3.4.5']) expect(a.parse(s)).toBe(false);
    // After a good subject of the same consumer, a broken tail falls back and still refuses.
    expect(a.parse('$JS.ACK.S.C.1.2.3.4.5')).toBe(true);
    expect(a.parse('$JS.ACK.S.C.1.2x.3.4.5')).toBe(false);
  });

  it("agrees with the client on a real server's deliveries", async () => {
    const { stream: s, prefix } = await stream(nats, 'acks');
    await publish(nats, s, Array.from({ length: 50 }, (_, i) => [`${prefix}.${i % 3}`, `{"i":${i}}`] as const));
    const c = await jetstream(nats.nc).consumers.get(s, { deliver_policy: DeliverPolicy.All });
    const it = await c.consume({ max_messages: 20 });
    const a = new AckSubject();
    let n = 0;
    for await (const m of it) {
      expect(a.parse((m as unknown as { reply: string }).reply)).toBe(true);
      expect([a.seq, a.pending]).toEqual([m.seq, m.info.pending]);
      if (++n === 50) break;
    }
    await it.close();
  });
});

describe('nats reader batches', () => {
  it('hands out batches of at most maxRows; a reopen at the position loses and doubles nothing built ahead', async () => {
    const { stream: s, prefix } = await stream(nats, 'batches');
    const N = 300;
    const bad = new Set([5, 77, 150, 299]);
    await publish(
      nats,
      s,
      Array.from({ length: N }, (_, i) => [`${prefix}.${i % 3}`, bad.has(i + 1) ? `{"k": oops ${i}` : `{"k":${i},"ts":"2024-01-01T00:00:00.${String(i % 1000).padStart(3, '0')}Z"}`] as const),
    );
    const base: ReaderOptions = {
      source: 'ev',
      schema: [
        { name: 'k', type: 'BIGINT' },
        { name: 'ts', type: 'TIMESTAMP' },
      ],
      eventTimeColumn: 1,
      options: { servers: SERVERS, stream: s, subject: `${prefix}.*`, stop_at_end: 'true' },
      baseDir: '.',
    };
    const seen: number[] = [];
    const dead: string[] = [];
    let position: unknown = undefined;
    // Close after a few batches each time: the pump has built rows past the position by then.
    for (let round = 0; round < 50; round++) {
      const r: SourceReader = await openNatsReader({ ...base, resumeFrom: position });
      let ended = false;
      for (let i = 0; i < 3; i++) {
        const b = await r.next(16);
        if (b === null) {
          ended = true;
          break;
        }
        expect(b.data.numRows + b.deadLetters.length).toBeLessThanOrEqual(16);
        seen.push(...b.offsets);
        for (const d of b.deadLetters) {
          seen.push(d.offset);
          dead.push(d.reason);
        }
        const ks = b.data.getChild('k')!.toArray() as ArrayLike<number>;
        b.offsets.forEach((o, j) => expect(Number(ks[j])).toBe(o - 1));
        await new Promise((res) => setTimeout(res, 5));
      }
      position = r.position();
      await r.close();
      if (ended) break;
    }
    expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(dead).toHaveLength(bad.size);
    for (const q of bad) expect(dead.some((d) => d.includes(`stream ${s} sequence ${q} `))).toBe(true);
  });
});
