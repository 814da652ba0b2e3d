/**
 * KeyTable against a reference Map: random multi-column keys (numbers, strings, booleans,
 * NULLs, -0 and NaN), insertions in batches, removals and re-insertions. Ids must be
 * stable while a key lives, and dense: a new key takes a freed id before a never-used one.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Data } from 'apache-arrow';
import type { Schema, SqlType, Value } from '../../../src/types.js';
import { ColumnBuilder, batchFromRows, columnsOf, readValue } from '../../../src/exec/batch.js';
import { KeyTable } from '../../../src/exec/vector/index.js';

const DOMAIN: Record<string, fc.Arbitrary<Value>> = {
  DOUBLE: fc.constantFrom(0, -0, 1, 2.5, NaN, 1e12, -7, 1.7e12 + 0.5, null),
  BIGINT: fc.constantFrom(0, 1, 2, 3, 1_700_000_000_000, -5, null),
  TIMESTAMP: fc.constantFrom(1_700_000_000_000, 1_700_000_010_000, -86_400_000, null),
  INT: fc.constantFrom(-1, 0, 1, 2, 2147483647, null),
  VARCHAR: fc.oneof(fc.constantFrom('', 'a', 'é', 'ab', 'a\u0000', '日本', null), fc.string({ maxLength: 3 })),
  BOOLEAN: fc.constantFrom(true, false, null),
};

const TYPES = Object.keys(DOMAIN) as SqlType[];

/** The reference identity of a key: NaN equals NaN, -0 equals 0, NULL equals NULL. */
function keyString(key: readonly Value[]): string {
  return JSON.stringify(key.map((v) => (typeof v === 'number' ? (v !== v ? 'NaN' : v === 0 ? 0 : v) : v)));
}

function normalized(key: readonly Value[]): Value[] {
  return key.map((v) => (typeof v === 'number' && Object.is(v, -0) ? 0 : v));
}

function columnsFor(types: readonly SqlType[], keys: readonly (readonly Value[])[]): readonly Data[] {
  const schema: Schema = types.map((type, j) => ({ name: `k${j}`, type }));
  return columnsOf(batchFromRows(schema, keys));
}

type Op = { kind: 'insert'; keys: Value[][] } | { kind: 'remove'; pick: number } | { kind: 'find'; keys: Value[][] };

/** Keys with runs of repeats (streams repeat keys: the probe has a shortcut for it). */
const keyRuns = (types: readonly SqlType[], maxLength: number): fc.Arbitrary<Value[][]> =>
  fc
    .array(fc.tuple(fc.tuple(...types.map((t) => DOMAIN[t]!)), fc.integer({ min: 1, max: 3 })), { maxLength })
    .map((runs) => runs.flatMap(([k, times]) => Array.from({ length: times }, () => k)));

const scenario = fc
  .array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 3 })
  .chain((types) =>
    fc.record({
      types: fc.constant(types),
      ops: fc.array(
        fc.oneof(
          { weight: 3, arbitrary: keyRuns(types, 20).map((keys): Op => ({ kind: 'insert', keys })) },
          { weight: 2, arbitrary: fc.nat().map((pick): Op => ({ kind: 'remove', pick })) },
          { weight: 1, arbitrary: keyRuns(types, 10).map((keys): Op => ({ kind: 'find', keys })) },
        ),
        { maxLength: 25 },
      ),
    }),
  );

describe('KeyTable', () => {
  it('agrees with a Map through insertions, removals and re-insertions, sized up front or not', () => {
    fc.assert(
      // `expected` sizes the table up front: below, at and past the keys it then holds.
      fc.property(scenario, fc.oneof(fc.constant(0), fc.nat(200)), ({ types, ops }, expected) => {
        const table = new KeyTable(types, expected);
        const model = new Map<string, number>();
        const keysOf = new Map<number, Value[]>();
        const freed = new Set<number>();
        let highWater = 0;
        for (const op of ops) {
          if (op.kind === 'remove') {
            const live = [...model.entries()];
            if (live.length === 0) continue;
            const [k, id] = live[op.pick % live.length]!;
            table.remove(id);
            model.delete(k);
            keysOf.delete(id);
            freed.add(id);
            continue;
          }
          const out = new Int32Array(op.keys.length);
          const cols = columnsFor(types, op.keys);
          if (op.kind === 'find') {
            table.find(cols, op.keys.length, out);
            op.keys.forEach((k, r) => expect(out[r]).toBe(model.get(keyString(k)) ?? -1));
            continue;
          }
          const created = table.findOrInsert(cols, op.keys.length, out);
          let expectCreated = 0;
          op.keys.forEach((k, r) => {
            const ks = keyString(k);
            const id = out[r]!;
            const known = model.get(ks);
            if (known !== undefined) {
              expect(id).toBe(known);
              return;
            }
            expectCreated++;
            // Dense: a freed id first, a fresh one only when none is free.
            if (freed.size > 0) {
              expect(freed.has(id)).toBe(true);
              freed.delete(id);
            } else {
              expect(id).toBe(highWater);
              highWater++;
            }
            model.set(ks, id);
            keysOf.set(id, normalized(k));
          });
          expect(created).toBe(expectCreated);
        }
        expect(table.size).toBe(model.size);
        expect(table.capacity).toBe(highWater);
        for (const [id, key] of keysOf) {
          expect(table.has(id)).toBe(true);
          const got = table.keyValues(id);
          expect(keyString(got)).toBe(keyString(key));
          expect(table.findValues(key)).toBe(id);
        }
        for (const id of freed) expect(table.has(id)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('appends keys to builders without decoding', () => {
    const types: SqlType[] = ['VARCHAR', 'DOUBLE', 'BOOLEAN', 'INT'];
    const table = new KeyTable(types);
    const keys: Value[][] = [
      ['日本', 1.5, true, 7],
      [null, null, null, null],
      ['', -0, false, -1],
    ];
    const ids = keys.map((k) => table.findOrInsertValues(k));
    expect(ids).toEqual([0, 1, 2]);
    const builders = types.map((t) => new ColumnBuilder(t));
    for (const id of [2, 0, 1]) table.appendKey(id, builders);
    const out = builders.map((b) => b.finish());
    const rows = [0, 1, 2].map((r) => types.map((t, j) => readValue(out[j]!, r, t)));
    expect(rows).toEqual([['', 0, false, -1], ['日本', 1.5, true, 7], [null, null, null, null]]);
  });

  it('stays correct through growth, string arena compaction and clear', () => {
    const table = new KeyTable(['VARCHAR', 'BIGINT']);
    const n = 30_000;
    const keys = Array.from({ length: n }, (_, k) => [`key-${k}-${'x'.repeat(k % 17)}`, k % 97]);
    const out = new Int32Array(n);
    expect(table.findOrInsert(columnsFor(['VARCHAR', 'BIGINT'], keys), n, out)).toBe(n);
    for (let k = 0; k < n; k += 2) table.remove(out[k]!);
    expect(table.size).toBe(n / 2);
    // Re-insert the removed keys under other names: freed ids are reused, the arena compacts.
    const again = keys.filter((_, k) => k % 2 === 0).map(([s, x]) => [`${s as string}-again`, x]);
    const out2 = new Int32Array(again.length);
    expect(table.findOrInsert(columnsFor(['VARCHAR', 'BIGINT'], again), again.length, out2)).toBe(again.length);
    expect(table.capacity).toBe(n);
    const check = new Int32Array(n);
    table.find(columnsFor(['VARCHAR', 'BIGINT'], keys), n, check);
    for (let k = 0; k < n; k++) expect(check[k]).toBe(k % 2 === 0 ? -1 : out[k]);
    for (let k = 0; k < again.length; k += 997) expect(table.keyValues(out2[k]!)).toEqual(again[k]);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.findOrInsertValues(['a', 1])).toBe(0);
  });

  it('takes a NULL-typed column as all-NULL keys of the key type', () => {
    const table = new KeyTable(['BIGINT']);
    const out = new Int32Array(2);
    table.findOrInsert(columnsFor(['NULL'], [[null], [null]]), 2, out);
    expect([...out]).toEqual([0, 0]);
    expect(table.findValues([null])).toBe(0);
  });
});
