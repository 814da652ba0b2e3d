/** A random stream long enough that windows and sessions close while it runs (20–60 rows). */
import fc from 'fast-check';
import { T0, type Ev } from './over-harness.js';

/**
 * As over-harness's streamArb (unique times, out of order by less than the 2 s delay), but
 * longer: keys 0..maxKey, x NULL about once in `nullFreq` rows.
 */
export function longStream(nullFreq: number, maxKey = 3): fc.Arbitrary<Ev[]> {
  return fc
    .array(fc.record({ k: fc.integer({ min: 0, max: maxKey }), x: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null, freq: nullFreq }), jitter: fc.integer({ min: 0, max: 1500 }) }), {
      minLength: 20,
      maxLength: 60,
    })
    .map((rows) =>
      rows
        .map((r, i) => ({ id: i, k: r.k, x: r.x, ts: T0 + i * 700 + (i % 7) * 3, sortKey: T0 + i * 700 - r.jitter }))
        .sort((a, b) => a.sortKey - b.sortKey)
        .map(({ sortKey: _s, ...e }) => e as Ev),
    );
}

export const longStreamArb = longStream(6);
