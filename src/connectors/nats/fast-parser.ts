/**
 * A faster `parse` for the NATS client's protocol parser (@nats-io/nats-core 3.3.1), the
 * largest cost of reading JetStream left in sluice: the client walks every byte of each
 * `MSG` line through a state machine whose every `case` loads a property of a module object,
 * then splits the arguments again byte by byte (~1 µs of a member's ~7 µs per event).
 *
 * This parse frames complete `MSG`/`HMSG` messages itself — one pass over the line finds
 * its arguments and its end, the payload is taken as a subarray of a plain view — and hands
 * the client's dispatcher exactly what the client's parser would. Every other operation
 * (PING, PONG, +OK, -ERR, INFO) goes, one whole line at a time, to the client's own parse. A
 * frame cut by the end of a socket read waits, without copying, for the reads that complete
 * it. Anything unexpected (a malformed line, lowercase operations, a parser left mid-frame)
 * hands the rest of the connection's bytes to the client's parse for good, so errors are the
 * client's own. A differential property test (test/connectors/nats-fast-parser.test.ts)
 * holds the two to the same output on random protocol streams cut at random places.
 *
 * Installed once for the process (every NATS connection of sluice) by {@link installFastParser};
 * `SLUICE_NATS_PARSER=client` keeps the client's parse.
 */
import { Kind, Parser, State } from '@nats-io/nats-core/internal';

const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const M = 77;
const H = 72;
const S = 83;
const G = 71;
const P = 80;
const I = 73;
const PLUS = 43;
const MINUS = 45;

/** The parser's fields this parse reads and sets (the client's own, plus ours). */
interface ParserState {
  state: number;
  argBuf?: unknown;
  msgBuf?: unknown;
  dispatcher: { push(e: { kind: number; msg?: MsgArg; data?: Uint8Array }): void };
  /** Bytes of a frame cut by the end of a read, in order, and how many there are. */
  sluiceTail?: Uint8Array[];
  sluiceTailBytes?: number;
  /** The cut frame's length (0: its line has not ended yet, so not known). */
  sluiceNeed?: number;
  /** The client's parse has taken over this connection. */
  sluiceClient?: boolean;
}

interface MsgArg {
  subject: Uint8Array;
  reply: Uint8Array | undefined;
  sid: number;
  hdr: number;
  size: number;
}

type Parse = (this: ParserState, buf: Uint8Array) => void;

/** Token bounds of a MSG/HMSG line: start, end pairs. */
const bounds = new Int32Array(12);

/** The longest protocol line the server sends by default (max_control_line). */
const MAX_LINE = 4096;

/** Digits as a number; -1 when empty or not all digits (as the client's protoParseInt). */
function digits(buf: Uint8Array, from: number, to: number): number {
  if (from >= to) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Set by {@link frames} when it stops at a cut frame: the frame's length, 0 when its line is cut. */
let cutNeed = 0;

/**
 * Dispatches the whole frames of `buf` from `from` on; returns where it stopped: at the end,
 * at a cut frame (`cutNeed` says how long it is), or -1 when it handed the rest to the
 * client's parse.
 */
function frames(p: ParserState, client: Parse, buf: Uint8Array, from: number): number {
  const n = buf.length;
  let i = from;
  cutNeed = 0;
  while (i < n) {
    const op = buf[i]!;
    if (op === M || op === H) {
      const hdr = op === H;
      const args = hdr ? i + 5 : i + 4;
      if (args > n) return i;
      if (hdr ? buf[i + 1] !== M || buf[i + 2] !== S || buf[i + 3] !== G || buf[i + 4] !== SPACE : buf[i + 1] !== S || buf[i + 2] !== G || buf[i + 3] !== SPACE) return giveUp(p, client, buf, i);
      // One pass over the line: its tokens, and where it ends (CR counts as a separator, as for the client).
      let count = 0;
      let start = -1;
      let nl = -1;
      for (let j = args; j < n; j++) {
        const c = buf[j]!;
        if (c > SPACE) {
          if (start < 0) start = j;
          continue;
        }
        if (c === NL) nl = j;
        else if (c !== SPACE && c !== TAB && c !== CR) {
          if (start < 0) start = j;
          continue;
        }
        if (start >= 0) {
          if (count === 6) return giveUp(p, client, buf, i);
          bounds[count * 2] = start;
          bounds[count * 2 + 1] = j;
          count++;
          start = -1;
        }
        if (nl >= 0) break;
      }
      if (nl < 0) return i;
      const withReply = hdr ? count === 5 : count === 4;
      if (!withReply && count !== (hdr ? 4 : 3)) return giveUp(p, client, buf, i);
      const sid = digits(buf, bounds[2]!, bounds[3]!);
      const last = count - 1;
      const size = digits(buf, bounds[last * 2]!, bounds[last * 2 + 1]!);
      const hdrSize = hdr ? digits(buf, bounds[(last - 1) * 2]!, bounds[(last - 1) * 2 + 1]!) : -1;
      if (sid < 0 || size < 0 || (hdr && (hdrSize < 0 || hdrSize > size))) return giveUp(p, client, buf, i);
      const payload = nl + 1;
      const end = payload + size;
      if (end + 2 > n) {
        cutNeed = end + 2 - i;
        return i;
      }
      if (buf[end] !== CR || buf[end + 1] !== NL) return giveUp(p, client, buf, i);
      const msg: MsgArg = {
        subject: buf.subarray(bounds[0]!, bounds[1]!),
        reply: withReply ? buf.subarray(bounds[4]!, bounds[5]!) : undefined,
        sid,
        hdr: hdrSize,
        size,
      };
      p.dispatcher.push({ kind: Kind.MSG, msg, data: buf.subarray(payload, end) });
      i = end + 2;
      continue;
    }
    // PING, PONG, +OK, -ERR and INFO, one whole line at a time, to the client's parse.
    if (op !== P && op !== PLUS && op !== MINUS && op !== I) return giveUp(p, client, buf, i);
    const nl = buf.indexOf(NL, i);
    if (nl < 0) return i;
    client.call(p, buf.subarray(i, nl + 1));
    i = nl + 1;
    if (p.state !== State.OP_START || p.argBuf !== undefined || p.msgBuf !== undefined) {
      p.sluiceClient = true;
      if (i < n) client.call(p, buf.subarray(i));
      return -1;
    }
  }
  return i;
}

/** The client's parse takes the connection over from `at`, for good. */
function giveUp(p: ParserState, client: Parse, buf: Uint8Array, at: number): number {
  p.sluiceClient = true;
  client.call(p, buf.subarray(at));
  return -1;
}

/** Keeps `buf` from `at` as the start of a cut frame `need` bytes long (0: not known yet). */
function keepCut(p: ParserState, buf: Uint8Array, at: number, need: number): void {
  p.sluiceTail = [buf.subarray(at)];
  p.sluiceTailBytes = buf.length - at;
  p.sluiceNeed = need;
}

/**
 * Completes the cut frame with the start of `input`; returns where in `input` framing goes
 * on, or -1 when nothing is left to do (the frame is still cut, or the client took over).
 * Only the cut frame's bytes are joined, not the whole read.
 */
function joinCut(p: ParserState, client: Parse, input: Uint8Array): number {
  const tail = p.sluiceTail!;
  const had = p.sluiceTailBytes!;
  let need = p.sluiceNeed!;
  if (need === 0) {
    // Its line was cut: join at most a line's worth to learn the frame's length.
    const probe = Math.min(input.length, MAX_LINE);
    const stop = frames(p, client, concat([...tail, input.subarray(0, probe)], had + probe), 0);
    if (stop < 0) return rest(p, client, input, probe);
    if (stop >= had) {
      clearCut(p);
      return stop - had;
    }
    if (cutNeed === 0) {
      // Longer than a line may be: the client's parse reports it.
      if (input.length > MAX_LINE) return giveUp(p, client, concat([...tail, input], had + input.length), 0);
      tail.push(input);
      p.sluiceTailBytes = had + input.length;
      return -1;
    }
    need = cutNeed;
  }
  if (need > had + input.length) {
    tail.push(input);
    p.sluiceTailBytes = had + input.length;
    p.sluiceNeed = need;
    return -1;
  }
  const take = need - had;
  const head = concat([...tail, input.subarray(0, take)], need);
  clearCut(p);
  return frames(p, client, head, 0) < 0 ? rest(p, client, input, take) : take;
}

/** The client's parse took over within a joined frame: it reads the rest of the read too. */
function rest(p: ParserState, client: Parse, input: Uint8Array, from: number): -1 {
  if (from < input.length) client.call(p, input.subarray(from));
  return -1;
}

function clearCut(p: ParserState): void {
  p.sluiceTail = undefined;
  p.sluiceTailBytes = 0;
  p.sluiceNeed = 0;
}

/** The parse that frames MSG and HMSG itself; `client` is the client's parse it falls back to. */
export function fastParse(client: Parse): Parse {
  return function parse(this: ParserState, read: Uint8Array): void {
    if (this.sluiceClient === true) return client.call(this, read);
    // A plain view: a Buffer's own subarray and indexOf cost a JS wrapper each.
    const input = new Uint8Array(read.buffer, read.byteOffset, read.length);
    if (this.state !== State.OP_START || this.argBuf !== undefined || this.msgBuf !== undefined) {
      this.sluiceClient = true;
      return client.call(this, input);
    }
    let from = 0;
    if (this.sluiceTail !== undefined) {
      from = joinCut(this, client, input);
      if (from < 0) return;
    }
    const stop = frames(this, client, input, from);
    if (stop >= 0 && stop < input.length) keepCut(this, input, stop, cutNeed);
  } as Parse;
}

let installed = false;

/** Puts {@link fastParse} in place of the client parser's `parse` (once per process). */
export function installFastParser(): void {
  if (installed || process.env['SLUICE_NATS_PARSER'] === 'client') return;
  installed = true;
  const proto = Parser.prototype as unknown as { parse: Parse };
  proto.parse = fastParse(proto.parse);
}
