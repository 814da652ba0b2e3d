/**
 * The fast parse against the NATS client's own (differential): random protocol streams —
 * MSG and HMSG with and without reply subjects, payloads holding CR and LF, PING, PONG, +OK,
 * -ERR, INFO, sometimes a malformed line — cut into reads at random places, must dispatch the
 * same events in the same order, and fail with the same error where the client's fails.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Parser } from '@nats-io/nats-core/internal';
import { fastParse } from '../../src/connectors/nats/fast-parser.js';

type Parse = (buf: Uint8Array) => void;
const clientParse = Parser.prototype.parse as Parse;

const token = fc.stringMatching(/^[A-Za-z0-9_$.>*-]{1,24}$/);
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const frame = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('MSG' as const), subject: token, sid: fc.nat(99999), reply: fc.option(token, { nil: undefined }), payload: bytes(300) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('HMSG' as const),
      subject: token,
      sid: fc.nat(99999),
      reply: fc.option(token, { nil: undefined }),
      status: fc.constantFrom('', ' 100 Idle Heartbeat', ' 404 No Messages', ' 408 Request Timeout'),
      payload: bytes(100),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom('PING\r\n', 'PONG\r\n', '+OK\r\n', "-ERR 'Permissions Violation'\r\n", 'INFO {"server_id":"x","max_payload":1048576}\r\n') },
  { weight: 1, arbitrary: fc.constant({ op: 'BIG' as const }) },
);
const garbage = fc.constantFrom('MSG a b c d e f\r\n', 'MSG subj 1 -4\r\n', 'XYZ\r\n', 'HMSG s 1 10 5\r\n', 'msg s 1 2\r\nhi\r\n');

function encode(f: unknown): Uint8Array {
  const enc = new TextEncoder();
  if (typeof f === 'string') return enc.encode(f);
  const m = f as { op: 'MSG' | 'HMSG' | 'BIG'; subject: string; sid: number; reply?: string; status?: string; payload: Uint8Array };
  if (m.op === 'BIG') {
    // Larger than a socket read: its payload spans many reads.
    const payload = new Uint8Array(150_000).map((_, i) => (i * 7) & 255);
    return Buffer.concat([enc.encode(`MSG big.subject 7 $JS.ACK.S.C.1.2.3.4.5 ${payload.length}\r\n`), payload, enc.encode('\r\n')]);
  }
  const reply = m.reply === undefined ? '' : ` ${m.reply}`;
  if (m.op === 'MSG') return Buffer.concat([enc.encode(`MSG ${m.subject} ${m.sid}${reply} ${m.payload.length}\r\n`), m.payload, enc.encode('\r\n')]);
  const head = enc.encode(`NATS/1.0${m.status}\r\nNats-Pending-Messages: 3\r\n\r\n`);
  return Buffer.concat([enc.encode(`HMSG ${m.subject} ${m.sid}${reply} ${head.length} ${head.length + m.payload.length}\r\n`), head, m.payload, enc.encode('\r\n')]);
}

interface Event {
  kind: number;
  subject?: string;
  sid?: number;
  reply?: string | undefined;
  hdr?: number;
  size?: number;
  data?: string;
}

/** Feeds the reads to a parser using `parse`; the events it dispatched, and the error it threw. */
function run(parse: Parse, reads: readonly Uint8Array[]): { events: Event[]; error: string | null } {
  const events: Event[] = [];
  const dispatcher = {
    push(e: { kind: number; msg?: { subject: Uint8Array; sid: number; reply?: Uint8Array; hdr: number; size: number }; data?: Uint8Array }) {
      const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('latin1'));
      events.push(e.msg === undefined ? { kind: e.kind, data: dec(e.data) } : { kind: e.kind, subject: dec(e.msg.subject), sid: e.msg.sid, reply: dec(e.msg.reply), hdr: e.msg.hdr, size: e.msg.size, data: dec(e.data) });
    },
  };
  const parser = new Parser(dispatcher as never) as unknown as { parse: Parse };
  try {
    for (const r of reads) parse.call(parser, r);
    return { events, error: null };
  } catch (e) {
    // The client's message quotes the rest of the read it failed in: up to the line's end.
    return { events, error: (e as Error).message.split(/[\r\n]/)[0]! };
  }
}

/** `all` cut at the given points (as socket reads: Buffers). */
function cut(all: Uint8Array, points: readonly number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (all.length + 1)))].sort((a, b) => a - b);
  const reads: Buffer[] = [];
  let from = 0;
  for (const p of [...at, all.length]) {
    if (p > from) reads.push(Buffer.from(all.subarray(from, p)));
    from = Math.max(from, p);
  }
  return reads;
}

it('dispatches what the client parse dispatches, however the stream is cut into reads', () => {
  fc.assert(
    fc.property(
      fc.array(frame, { minLength: 1, maxLength: 40 }),
      fc.option(fc.tuple(fc.nat(40), garbage), { nil: undefined, freq: 4 }),
      fc.array(fc.nat(1_000_000), { maxLength: 30 }),
      (frames, bad, points) => {
        const parts = frames.map((f) => encode(f));
        if (bad !== undefined) parts.splice(bad[0] % (parts.length + 1), 0, new TextEncoder().encode(bad[1]));
        const all = Buffer.concat(parts);
        const reads = cut(all, points);
        const want = run(clientParse, reads);
        const got = run(fastParse(clientParse), reads);
        expect(got.error).toBe(want.error);
        expect(got.events).toEqual(want.events);
        if (bad === undefined) expect(got.error).toBeNull();
      },
    ),
    { numRuns: 400 },
  );
});

it('reads a stream of small messages byte by byte, and in one read', () => {
  const all = Buffer.concat(Array.from({ length: 50 }, (_, i) => encode({ op: 'MSG', subject: `orders.${i % 4}`, sid: 3, reply: `$JS.ACK.S.C.1.${i}.${i}.1733.0`, payload: new TextEncoder().encode(`{"i":${i}}`) })));
  const want = run(clientParse, [all]);
  expect(want.events).toHaveLength(50);
  expect(run(fastParse(clientParse), [all]).events).toEqual(want.events);
  expect(run(fastParse(clientParse), [...all].map((b) => Buffer.of(b))).events).toEqual(want.events);
});
