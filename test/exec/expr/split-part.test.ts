/**
 * SPLIT_PART with a constant delimiter and part is compiled to a scan of the UTF-8 bytes
 * (runtime splitPartStart); it must give what the string implementation (evalMoreFunction,
 * the path for any other arguments) gives: random text over an alphabet of one- to
 * four-byte characters and the delimiter's own characters, delimiters of several bytes,
 * self-overlapping ones ("//" in "///"), the empty one, and parts from -5 to 5 (0 and out
 * of range give '').
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchFromRows, columnsOf, readValue } from '../../../src/exec/batch.js';
import { compileExpr } from '../../../src/exec/expr/index.js';
import { evalMoreFunction } from '../../../src/plan/more-functions.js';
import type { Value } from '../../../src/types.js';
import { C, L, SCHEMA, fn } from './build.js';

const chars = fc.constantFrom('a', 'b', '/', '.', 'é', '€', '😀');
const text = fc.array(chars, { maxLength: 14 }).map((cs) => cs.join(''));
const delimiter = fc.oneof(fc.constantFrom('/', '//', 'é', '😀', '', 'a/'), fc.array(chars, { minLength: 1, maxLength: 3 }).map((cs) => cs.join('')));

describe('SPLIT_PART on bytes', () => {
  it('equals the string implementation', () => {
    fc.assert(
      fc.property(fc.array(fc.option(text, { nil: null }), { minLength: 1, maxLength: 20 }), delimiter, fc.integer({ min: -5, max: 5 }), (texts, d, part) => {
        const e = fn('SPLIT_PART', C.s, L(d), L(part, 'BIGINT'));
        const compiled = compileExpr(e);
        // The byte path, not the per-row string call.
        expect(compiled.source()).toContain('splitPartStart');
        const rows = texts.map((s) => [0, 0, 0, s, false, 0] as Value[]);
        const out = compiled.evaluate(columnsOf(batchFromRows(SCHEMA, rows)), rows.length);
        texts.forEach((s, r) => {
          const want = s === null ? null : evalMoreFunction('split_part', [s, d, part]);
          expect(readValue(out, r, 'VARCHAR'), `split_part(${JSON.stringify(s)}, ${JSON.stringify(d)}, ${part})`).toBe(want);
        });
      }),
      { numRuns: 500 },
    );
  });
});
