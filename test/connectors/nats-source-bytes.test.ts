/**
 * The nats source reads a delivery's sequence and pending count from its reply subject's
 * bytes (no decode per message): it must agree with AckSubject's reading of the string, in
 * every subject form, and refuse what AckSubject refuses; the delivery sequence is the
 * token after the stream sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckSubject } from '../../src/connectors/nats/ack-subject.js';
import { ackSubjects } from './ack-subjects.js';
import { readReply, ReplyInfo } from '../../src/connectors/nats/nats-source.js';

const enc = new TextEncoder();

describe('readReply', () => {
  const subject = ackSubjects;

  it('agrees with AckSubject on every subject form', () => {
    const a = new AckSubject();
    const b = new ReplyInfo();
    fc.assert(
      fc.property(subject, ({ s, dseq }) => {
        expect(readReply(enc.encode(s), b)).toBe(a.parse(s));
        expect([b.seq, b.pending, b.dseq]).toEqual([a.seq, a.pending, dseq]);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses subjects that are not JetStream acks', () => {
    const b = new ReplyInfo();
    for (const s of ['', '_INBOX.abc', '$JS.ACK.S.C.1.2.3', '$JS.ACK.S.C.1.x.3.4.5', '$JS.ACK.S.C.1..3.4.5', '$JS.ACX.S.C.1.2.3.4.5', '$JS.ACK.S.C.1.2.3.4.']) {
      expect(readReply(enc.encode(s), b), s).toBe(false);
    }
    expect(readReply(enc.encode('$JS.ACK.S.C.1.2.3.4.5'), b)).toBe(true);
    expect([b.seq, b.dseq, b.pending]).toEqual([2, 3, 5]);
  });
});
