/**
 * gather, concatColumns and sliceColumn over every physical layout, with NULLs, compared
 * row by row with the values they were built from.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Data } from 'apache-arrow';
import type { Schema, Value } from '../../../src/types.js';
import { batchFromRows, columnsOf, readValue } from '../../../src/exec/batch.js';
import {
  concatColumns,
  constantColumn,
  gather,
  gatherOne,
  selectAll,
  sliceColumn,
  validityOf,
} from '../../../src/exec/vector/index.js';

const SCHEMA: Schema = [
  { name: 'i', type: 'INT' },
  { name: 'b', type: 'BIGINT' },
  { name: 'd', type: 'DOUBLE' },
  { name: 's', type: 'VARCHAR' },
  { name: 'f', type: 'BOOLEAN' },
  { name: 't', type: 'TIMESTAMP' },
  { name: 'n', type: 'NULL' },
];

const rowArb = fc.tuple(
  fc.option(fc.integer(), { freq: 3 }),
  fc.option(fc.integer({ min: -1e12, max: 1e12 }), { freq: 3 }),
  fc.option(fc.double({ noNaN: true }), { freq: 3 }),
  fc.option(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('日本語', '🎉', 'a much longer string that is over thirty-two bytes')), { freq: 3 }),
  fc.option(fc.boolean(), { freq: 3 }),
  fc.option(fc.integer({ min: 0, max: 2e12 }), { freq: 3 }),
  fc.constant(null),
);

function rowsOfColumns(cols: readonly Data[], n: number): Value[][] {
  return Array.from({ length: n }, (_, r) => SCHEMA.map((c, j) => readValue(cols[j]!, r, c.type)));
}

function columns(rows: readonly (readonly Value[])[]): readonly Data[] {
  return columnsOf(batchFromRows(SCHEMA, rows));
}

describe('gather', () => {
  it('copies runs of consecutive rows (a dense selection) as the rows they are', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 120 }).chain((rows) => fc.tuple(fc.constant(rows), fc.array(fc.boolean(), { minLength: rows.length, maxLength: rows.length }))),
        ([rows, keep]) => {
          const picks = rows.flatMap((_, i) => (keep[i] ? [i] : []));
          const out = gather(columns(rows), Int32Array.from(picks), picks.length);
          expect(rowsOfColumns(out, picks.length)).toEqual(picks.map((p) => rows[p]));
        },
      ),
    );
  });

  it('picks the selected rows of every type, keeping NULLs', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 80 }).chain((rows) =>
          fc.tuple(fc.constant(rows), fc.array(fc.nat({ max: rows.length - 1 }), { maxLength: 100 })),
        ),
        ([rows, picks]) => {
          const out = gather(columns(rows), Int32Array.from(picks), picks.length);
          expect(rowsOfColumns(out, picks.length)).toEqual(picks.map((p) => rows[p]));
          for (const [j, c] of out.entries()) {
            expect(c.length).toBe(picks.length);
            if (SCHEMA[j]!.type !== 'NULL') expect(c.nullCount).toBe(picks.filter((p) => rows[p]![j] === null).length);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('drops the validity bitmap when no selected row is NULL', () => {
    const c = columns([[1, null, null, null, null, null, null], [null, null, null, null, null, null, null]]);
    const one = gatherOne(c[0]!, Int32Array.of(0, 0), 2);
    expect(one.nullCount).toBe(0);
    expect(validityOf(one)).toBeNull();
    expect(validityOf(gatherOne(c[0]!, Int32Array.of(1), 1))).not.toBeNull();
  });

  it('reads Arrow-sliced columns (non-zero offset)', () => {
    const rows = Array.from({ length: 20 }, (_, k) => [k, k, k / 4, `v${k}`, k % 3 === 0 ? null : k % 2 === 0, k, null]);
    const sliced = columns(rows).map((c) => c.slice(7, 9));
    const out = gather(sliced, Int32Array.of(0, 8, 3), 3);
    expect(rowsOfColumns(out, 3)).toEqual([rows[7], rows[15], rows[10]]);
  });
});

describe('concatColumns and sliceColumn', () => {
  it('concatenating slices gives back the whole', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat({ max: 60 }), { maxLength: 5 }),
        (rows, cuts0) => {
          const whole = columns(rows);
          const cuts = [...new Set([0, ...cuts0.map((c) => Math.min(c, rows.length)), rows.length])].sort((a, b) => a - b);
          const parts = whole.map((c) =>
            cuts.slice(1).map((end, k) => {
              // Alternate our copying slice and Arrow's offset slice as inputs.
              const start = cuts[k]!;
              return k % 2 === 0 ? sliceColumn(c, start, end - start) : c.slice(start, end - start);
            }),
          );
          const joined = parts.map((p) => concatColumns(p));
          expect(rowsOfColumns(joined, rows.length)).toEqual(rows);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('builds constant columns and the identity selection', () => {
    const c = constantColumn('VARCHAR', 'ab', 3);
    expect([0, 1, 2].map((r) => readValue(c, r, 'VARCHAR'))).toEqual(['ab', 'ab', 'ab']);
    const nulls = constantColumn('DOUBLE', null, 2);
    expect(nulls.nullCount).toBe(2);
    expect(readValue(constantColumn('BOOLEAN', true, 9), 8, 'BOOLEAN')).toBe(true);
    expect([...selectAll(4)]).toEqual([0, 1, 2, 3]);
  });
});
