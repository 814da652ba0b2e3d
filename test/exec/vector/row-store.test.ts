/**
 * RowStore against a plain Map of rows: random adds (from Arrow batches and from values) and
 * removals (strings of a batch copied with the rest or after it), with strings long and
 * short, ASCII and not, so that slots are reused and the string arena grows and compacts.
 * Every live slot must read back its own row, and copy out to column builders unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFromRows, columnsOf, ColumnBuilder, readValue } from '../../../src/exec/batch.js';
import { RowStore } from '../../../src/exec/vector/row-store.js';
import type { Schema, Value } from '../../../src/types.js';

const schema: Schema = [
  { name: 'a', type: 'BIGINT' },
  { name: 's', type: 'VARCHAR' },
  { name: 'i', type: 'INT' },
  { name: 'b', type: 'BOOLEAN' },
  { name: 't', type: 'VARCHAR' },
];

const rowArb = fc.tuple(
  fc.option(fc.integer({ min: -1e6, max: 1e6 }), { nil: null }),
  fc.option(fc.oneof(fc.string({ maxLength: 8 }), fc.string({ minLength: 100, maxLength: 400 }), fc.constantFrom('é', 'ünïcødé ✓', '')), { nil: null }),
  fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: null }),
  fc.option(fc.boolean(), { nil: null }),
  fc.option(fc.string({ maxLength: 300 }), { nil: null }),
);

const opArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ add: fc.array(rowArb, { minLength: 1, maxLength: 20 }), how: fc.constantFrom('values', 'row', 'rows', 'later') }) },
  { weight: 2, arbitrary: fc.record({ remove: fc.nat(), count: fc.integer({ min: 1, max: 25 }) }) },
);

describe('RowStore', () => {
  it('reads back every live row after random adds (by row, by batch, from values) and removals', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const store = new RowStore(schema.map((c) => c.type));
        const ref = new Map<number, Value[]>();
        for (const op of ops) {
          if ('add' in op) {
            const rows = op.add as Value[][];
            if (op.how === 'values') for (const r of rows) ref.set(store.addValues(r), r);
            else if (op.how === 'rows') {
              // Every other row, a batch at a time.
              const cols = columnsOf(batchFromRows(schema, rows));
              const picked = Int32Array.from(rows.keys()).filter((i) => i % 2 === 0);
              const out = new Int32Array(picked.length);
              store.addRows(cols, picked, picked.length, out);
              picked.forEach((i, r) => {
                expect(ref.has(out[r]!)).toBe(false);
                ref.set(out[r]!, rows[i]!);
              });
            } else if (op.how === 'later') {
              // Runs of two rows out of three, strings copied after the rest (runs copied at once).
              const cols = columnsOf(batchFromRows(schema, rows));
              const picked = Int32Array.from(rows.keys()).filter((i) => i % 3 !== 2);
              const out = new Int32Array(picked.length);
              const later = schema.map((c) => c.type === 'VARCHAR');
              store.addRows(cols, picked, picked.length, out, later);
              later.forEach((l, j) => l && store.addStrings(j, cols[j]!, picked, out, picked.length));
              picked.forEach((i, r) => {
                expect(ref.has(out[r]!)).toBe(false);
                ref.set(out[r]!, rows[i]!);
              });
            } else {
              const cols = columnsOf(batchFromRows(schema, rows));
              rows.forEach((r, i) => {
                const slot = store.add(cols, i);
                expect(ref.has(slot)).toBe(false);
                expect(store.equalsRow(slot, cols, i)).toBe(true);
                ref.set(slot, r);
              });
            }
          } else {
            for (let c = 0; c < op.count && ref.size > 0; c++) {
              const slot = [...ref.keys()][(op.remove + c) % ref.size]!;
              store.remove(slot);
              ref.delete(slot);
            }
          }
        }
        expect(store.size).toBe(ref.size);
        expect([...store.slots()].sort((x, y) => x - y)).toEqual([...ref.keys()].sort((x, y) => x - y));
        const builders = schema.map((c) => new ColumnBuilder(c.type));
        for (const [slot, row] of ref) {
          expect(store.values(slot)).toEqual(row);
          store.appendRow(slot, builders, 0);
        }
        const out = builders.map((b) => b.finish());
        [...ref.values()].forEach((row, i) => expect(schema.map((c, j) => readValue(out[j]!, i, c.type))).toEqual(row));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps strings intact while churn compacts the arena', () => {
    const store = new RowStore(['VARCHAR', 'BIGINT', 'VARCHAR']);
    const ref = new Map<number, Value[]>();
    const order: number[] = [];
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 20; i++) {
        const row = [`${round}-${i}-`.padEnd(50 + ((round * 7 + i) % 200), 'é'), round * 100 + i, i % 3 === 0 ? null : 'x'.repeat(i)];
        const slot = store.addValues(row);
        ref.set(slot, row);
        order.push(slot);
      }
      for (let i = 0; i < 19; i++) {
        const slot = order.shift()!;
        store.remove(slot);
        ref.delete(slot);
      }
    }
    for (const [slot, row] of ref) expect(store.values(slot)).toEqual(row);
  });

  it('copies a run of adjacent strings longer than a chunk (4 MB) in parts', () => {
    const schema1: Schema = [{ name: 's', type: 'VARCHAR' }];
    const rows = ['a', 'b', 'c', 'd'].map((c, i) => [c.repeat(1_500_000 + i)]);
    const cols = columnsOf(batchFromRows(schema1, rows));
    const store = new RowStore(['VARCHAR']);
    const picked = Int32Array.from([0, 1, 2, 3]);
    const out = new Int32Array(4);
    store.addRows(cols, picked, 4, out, [true]);
    store.addStrings(0, cols[0]!, picked, out, 4);
    rows.forEach((r, i) => expect(store.value(out[i]!, 0)).toBe(r[0]));
  });
});
