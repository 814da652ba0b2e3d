/**
 * A JetStream message's stream sequence and pending count, read from its reply (ack)
 * subject without the client's `JsMsg.info`: that splits the subject into eleven strings and
 * an object per message, a large share of the source's per-message cost.
 *
 * Reply subjects: `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>`
 * (9 tokens) or `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.<random>]`
 * (11 or more). Stream and consumer names hold no '.', so token positions are fixed.
 */
import type { JsMsg } from '@nats-io/jetstream';

/** Positions of the first 12 dots; reused so parsing allocates nothing. */
const dots = new Int32Array(12);

/** Parses the digits in `s[from, to)`; NaN when empty or not all digits. */
function digits(s: string, from: number, to: number): number {
  if (from >= to) return NaN;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/** Token `t` (0-based) of a subject whose dots are in `dots[0…n)`. */
function token(s: string, n: number, t: number): number {
  const from = t === 0 ? 0 : dots[t - 1]! + 1;
  const to = t < n ? dots[t]! : s.length;
  return digits(s, from, to);
}

/** Stream sequence and pending count of a JetStream delivery, NaN where the subject is not one. */
export class AckSubject {
  seq = NaN;
  pending = NaN;

  /**
   * Reads a delivered message's sequence and pending count. The client's JsMsg keeps its
   * reply subject (not in the JsMsg type); without one, its own (slower) parse answers.
   */
  read(m: JsMsg): this {
    const reply = (m as unknown as { reply?: unknown }).reply;
    if (typeof reply !== 'string' || !this.parse(reply)) {
      this.seq = m.seq;
      this.pending = m.info.pending;
    }
    return this;
  }

  /**
   * `$JS.ACK.<stream>.<consumer>.` as in the last subject read: one consumer's subjects all
   * start so, and skipping it halves the characters scanned.
   */
  private prefix: string | null = null;

  /** Reads `reply`; false when it is not a JetStream ack subject. */
  parse(reply: string): boolean {
    const p = this.prefix;
    if (p !== null && reply.startsWith(p) && this.tail(reply, p.length)) return true;
    return this.full(reply);
  }

  /** `<delivered>.<sseq>.<dseq>.<ts>.<pending>[.…]` from `i` on. */
  private tail(s: string, i: number): boolean {
    const end = s.length;
    let seq = NaN;
    for (let t = 0; t < 5; t++) {
      let v = 0;
      const from = i;
      for (; i < end; i++) {
        const c = s.charCodeAt(i) - 48;
        if (c === -2) break; // '.'
        if (c < 0 || c > 9) return false;
        v = v * 10 + c;
      }
      if (i === from || (t < 4 && i === end)) return false;
      i++;
      if (t === 1) seq = v;
      else if (t === 4) {
        if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(v)) return false;
        this.seq = seq;
        this.pending = v;
      }
    }
    return true;
  }

  private full(reply: string): boolean {
    let n = 0;
    for (let i = 0; i < reply.length && n < 12; i++) if (reply.charCodeAt(i) === 46) dots[n++] = i;
    const tokens = n + 1;
    if (tokens < 9 || !reply.startsWith('$JS.ACK.')) return false;
    const base = tokens === 9 ? 0 : 2;
    this.seq = token(reply, n, 5 + base);
    this.pending = token(reply, n, 8 + base);
    if (!Number.isSafeInteger(this.seq) || !Number.isSafeInteger(this.pending)) return false;
    this.prefix = reply.slice(0, dots[3 + base]! + 1);
    return true;
  }
}
