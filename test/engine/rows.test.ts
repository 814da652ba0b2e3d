/**
 * Converting API rows to a batch (engine.insert's first step): the column-builder fast path
 * must give exactly what looking every row's keys up one by one gives — values, defaults,
 * case-insensitive names, the last of two spellings winning, rejected rows and reasons.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromApiValue, rowsToBatch } from '../../src/engine/rows.js';
import { rowsOf } from '../../src/exec/batch.js';
import type { Schema, Value } from '../../src/types.js';

const schema: Schema = [
  { name: 'id', type: 'BIGINT' },
  { name: 'Qty', type: 'INT' },
  { name: 'price', type: 'DOUBLE' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'ok', type: 'BOOLEAN' },
  { name: 'ts', type: 'TIMESTAMP' },
  { name: 'toString', type: 'VARCHAR' },
];
const defaults: Value[] = [null, 7, null, 'none', null, null, null];
const EVENT_TIME = 5;

/**
 * The reference: each row's own keys looked up by lower-cased name (of two spellings of one
 * column the later counts); the first bad column in schema order is the one named.
 */
function reference(rows: readonly unknown[]): { good: Value[][]; rejected: { index: number; reason: string }[] } {
  const byName = new Map(schema.map((c, i) => [c.name.toLowerCase(), i]));
  const good: Value[][] = [];
  const rejected: { index: number; reason: string }[] = [];
  rows.forEach((r, index) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      rejected.push({ index, reason: `row ${index}: an event must be a plain object` });
      return;
    }
    const values = [...defaults];
    const given = new Map<number, unknown>();
    for (const [k, v] of Object.entries(r)) {
      const i = byName.get(k.toLowerCase());
      if (i !== undefined) given.set(i, v);
    }
    for (let i = 0; i < schema.length; i++) {
      if (!given.has(i)) continue;
      const c = fromApiValue(given.get(i), schema[i]!.type);
      if ('error' in c) {
        rejected.push({ index, reason: `row ${index}: column ${schema[i]!.name}: ${c.error}` });
        return;
      }
      values[i] = c.value;
    }
    if (values[EVENT_TIME] === null) {
      rejected.push({ index, reason: `row ${index}: missing event time column ts` });
      return;
    }
    good.push(values);
  });
  return { good, rejected };
}

const valueArb = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(0.5, 2 ** 40, 2 ** 31, NaN),
  fc.constantFrom('x', '12', 'true', '2024-01-01T00:00:01Z', ''),
  fc.boolean(),
  fc.constantFrom(new Date(Date.UTC(2024, 0, 1)), new Date(NaN)),
  fc.constant({ nested: 1 }),
);
const keyArb = fc.constantFrom('id', 'ID', 'qty', 'Qty', 'price', 'name', 'NAME', 'ok', 'ts', 'Ts', 'tostring', 'extra');
/** Rows mostly of one shape (the fast path), sometimes spelled or filled otherwise. */
const rowArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ id: valueArb, Qty: valueArb, price: valueArb, name: valueArb, ok: valueArb, ts: valueArb, toString: valueArb }) },
  { weight: 3, arbitrary: fc.dictionary(keyArb, valueArb, { maxKeys: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 3, 'row', [1, 2]) },
);

describe('rowsToBatch', () => {
  it('equals looking each row up key by key', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 40 }), (rows) => {
        const want = reference(rows);
        const { batch, rejected } = rowsToBatch(rows, schema, defaults, EVENT_TIME);
        expect(rejected.map((r) => ({ index: r.index, reason: r.reason }))).toEqual(want.rejected);
        expect(rowsOf(batch, schema)).toEqual(want.good);
      }),
      { numRuns: 400 },
    );
  });

  it('equals it for calls of well-formed rows (read a column at a time), a bad row anywhere or not', () => {
    // Values the column path takes: rows of one spelling, with nulls but an event time.
    const good = fc.record({
      id: fc.oneof(fc.constant(null), fc.integer(), fc.constantFrom(2 ** 53 - 1)),
      Qty: fc.oneof(fc.constant(undefined), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
      price: fc.oneof(fc.constant(null), fc.double()),
      name: fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 8 })),
      ok: fc.oneof(fc.constant(null), fc.boolean()),
      ts: fc.oneof(fc.integer({ min: 0, max: 4e12 }).map((t) => new Date(t)), fc.double({ min: -1e12, max: 1e12, noNaN: true })),
      toString: fc.oneof(fc.constant(null), fc.string({ maxLength: 4 })),
    });
    fc.assert(
      fc.property(fc.array(good, { maxLength: 40 }), fc.option(fc.tuple(fc.nat(), rowArb)), (rows, bad) => {
        const all: unknown[] = [...rows];
        if (bad !== null) all.splice(bad[0] % (all.length + 1), 0, bad[1]);
        const want = reference(all);
        const { batch, rejected } = rowsToBatch(all, schema, defaults, EVENT_TIME);
        expect(rejected.map((r) => ({ index: r.index, reason: r.reason }))).toEqual(want.rejected);
        expect(rowsOf(batch, schema)).toEqual(want.good);
        expect(batch.numRows).toBe(want.good.length);
      }),
      { numRuns: 400 },
    );
  });

  it('never reads a column from the object prototype', () => {
    const { batch } = rowsToBatch([{ id: 1, ts: 5 }], schema, defaults, EVENT_TIME);
    expect(rowsOf(batch, schema)[0]![6]).toBeNull();
  });
});
