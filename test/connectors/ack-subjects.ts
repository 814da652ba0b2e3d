/** Random JetStream ack (reply) subjects in every form the server sends, with the numbers they carry. */
import fc from 'fast-check';

export interface AckSubjectCase {
  /** The subject: `$JS.ACK.<stream>.<consumer>.…` (9 tokens), with domain and account hash (11), or a trailing token (12). */
  readonly s: string;
  readonly seq: number;
  readonly dseq: number;
  readonly pending: number;
}

const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const num = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

export const ackSubjects: fc.Arbitrary<AckSubjectCase> = fc
  .record({ form: fc.constantFrom(9, 11, 12), stream: name, consumer: name, domain: name, hash: name, dc: num, seq: num, dseq: num, pending: num, random: name })
  .map((r) => {
    const tail = [r.dc, r.seq, r.dseq, 1796395991123318703n, r.pending].join('.');
    const head = r.form === 9 ? `$JS.ACK.${r.stream}.${r.consumer}` : `$JS.ACK.${r.domain}.${r.hash}.${r.stream}.${r.consumer}`;
    return { s: `${head}.${tail}${r.form === 12 ? `.${r.random}` : ''}`, seq: r.seq, dseq: r.dseq, pending: r.pending };
  });
