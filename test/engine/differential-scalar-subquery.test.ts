/**
 * Scalar subqueries (one aggregate row) in WHERE and the SELECT list, correlated (grouped by
 * the correlation key, LEFT joined back: COUNT of no rows is 0) and not (a CROSS join to the
 * global aggregate), as streaming views over random, out-of-order rows with NULLs, outer
 * queries over changelogs included: each view's final contents equal DuckDB's (SPEC 3).
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { runInputArb, useDifferential } from './differential-harness.js';
import { runs, T0 } from './oracle.js';
import { SCALAR_CASES } from './subquery-cases.js';

const { check, property } = useDifferential();

describe('subqueries in expressions equal DuckDB', () => {
  it('on a fixed stream', async () => {
    const ev = (k: string | null, x: number | null, b: number | null, v: string | null, s: number) => ({ k, x, b, d: 1, v, ts: T0 + s * 1000 });
    const events = [ev('a', 1, 1, 'p', 1), ev('b', 2, 2, 'p', 2), ev(null, null, 3, null, 3), ev('a', 1, -1, 'q', 4), ev('c', 5, 5, 'q', 0)];
    await check(SCALAR_CASES, events, [2], 1000);
  });

  it('over random out-of-order streams with NULLs', async () => {
    await property(SCALAR_CASES, runInputArb(fc.constantFrom(0, 2000), { maxLength: 60, nullKeys: true }), runs(5));
  });
});
