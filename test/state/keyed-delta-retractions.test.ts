/**
 * keyedDelta defers comparing a retraction with the key's last insert until no later insert
 * overrides it: arbitrary (also ill-formed) sequences of inserts and retractions must reduce
 * as the rule says, evaluated change by change, on both the per-row and the column-wise path,
 * with and without the ids of the keys that the operator making the changes attaches.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { batchFromRows, columnsOf, readValue, type ChangeBatch } from '../../src/exec/batch.js';
import { keyedDelta } from '../../src/state/keyed-delta.js';
import { attachRowKeys } from '../../src/exec/row-keys.js';
import type { Schema, Value } from '../../src/types.js';

const SCHEMA: Schema = [
  { name: 'k', type: 'BIGINT' },
  { name: 'n', type: 'BIGINT' },
  { name: 's', type: 'VARCHAR' },
];

interface Change {
  op: number;
  row: Value[];
}

function batch(changes: readonly Change[]): ChangeBatch {
  const data = batchFromRows(SCHEMA, changes.map((c) => c.row));
  return { data, length: changes.length, ops: Uint8Array.from(changes.map((c) => c.op)), wm: null, wmConst: -Infinity, origin: null };
}

/** The rule, change by change: per key its last inserted row, unless a later change retracts that very row. */
function reference(batches: readonly Change[][]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const b of batches) {
    for (const { op, row } of b) {
      const k = JSON.stringify(row[0]);
      const cur = out.get(k);
      if (op === 0 || op === 2) out.set(k, JSON.stringify(row));
      else if (cur === undefined) out.set(k, null);
      else if (cur !== null && cur === JSON.stringify(row)) out.set(k, null);
    }
  }
  return out;
}

function decode(net: readonly ChangeBatch[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const b of net) {
    const cols = columnsOf(b);
    for (let i = 0; i < b.length; i++) {
      const row = SCHEMA.map((c, j) => readValue(cols[j]!, i, c.type));
      out.set(JSON.stringify(row[0]), b.ops === null || b.ops[i] === 0 ? JSON.stringify(row) : null);
    }
  }
  return out;
}

const change = fc.record({
  op: fc.constantFrom(0, 1, 2, 3),
  k: fc.integer({ min: 0, max: 3 }),
  n: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null }),
  s: fc.constantFrom('a', 'b', null),
});
const batches = fc.array(fc.array(change, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 });

/**
 * How the changes carry their keys' ids (src/exec/row-keys.ts): none; ids that follow the
 * key (spread out by `stride`, so some ids are never used); or ids keyedDelta must ignore
 * (over another column, or from two spaces), all 0, which would merge every key if used.
 */
type Ids = 'none' | 'key' | 'other column' | 'two spaces';

function withIds(bs: readonly ChangeBatch[], ids: Ids, stride: number): ChangeBatch[] {
  if (ids === 'none') return [...bs];
  const idOf = new Map<string, number>();
  const spaces = [{ capacity: 0 }, { capacity: 0 }];
  return bs.map((b, bi) => {
    const cols = columnsOf(b);
    const a = new Int32Array(b.length);
    for (let i = 0; i < b.length; i++) {
      const k = JSON.stringify(readValue(cols[0]!, i, 'BIGINT'));
      if (!idOf.has(k)) idOf.set(k, idOf.size * stride);
      a[i] = ids === 'key' ? idOf.get(k)! : 0;
    }
    spaces[0]!.capacity = spaces[1]!.capacity = idOf.size * stride + 1;
    const space = ids === 'two spaces' && bi > 0 ? spaces[1]! : spaces[0]!;
    attachRowKeys(b.data, { space, columns: ids === 'other column' ? [1] : [0], ids: a });
    return b;
  });
}

for (const [large, ids] of [[false, 'none'], [true, 'none'], [true, 'key'], [true, 'other column'], [true, 'two spaces']] as const) {
  it(`reduces retractions as the rule says (${large ? 'column-wise' : 'per row'}, ids: ${ids})`, () => {
    fc.assert(
      fc.property(batches, fc.integer({ min: 1, max: 3 }), (bs, stride) => {
        const changes: Change[][] = bs.map((b) => b.map((c) => ({ op: c.op, row: [c.k, c.n, c.s] })));
        // Past 5000 changes keyedDelta works column-wise: pad with inserts of other keys.
        if (large) changes.unshift(Array.from({ length: 5001 }, (_, i) => ({ op: 0, row: [1000 + i, i, 'pad'] })));
        const d = keyedDelta('t', SCHEMA, [0], withIds(changes.map(batch), ids, stride));
        expect(d).not.toBeNull();
        const want = reference(changes);
        expect(decode(d!.net())).toEqual(want);
        expect(d!.size).toBe(want.size);
        // The inserted rows alone: the surviving rows, each once, as inserts.
        const inserted = d!.inserted();
        expect(inserted.every((b) => b.ops === null)).toBe(true);
        expect(decode(inserted)).toEqual(new Map([...want].filter(([, row]) => row !== null)));
      }),
      { numRuns: large ? 100 : 500 },
    );
  });
}

it('a -U followed by its +U leaves the +U; a lone -U of the last insert deletes', () => {
  const changes: Change[][] = [
    [
      { op: 0, row: [1, 1, 'a'] },
      { op: 0, row: [2, 1, 'a'] },
    ],
    [
      { op: 1, row: [1, 1, 'a'] },
      { op: 2, row: [1, 2, 'a'] },
      { op: 1, row: [2, 1, 'b'] },
      { op: 1, row: [2, 1, 'a'] },
    ],
  ];
  const d = keyedDelta('t', SCHEMA, [0], changes.map(batch))!;
  expect(decode(d.net())).toEqual(new Map([['1', JSON.stringify([1, 2, 'a'])], ['2', null]]));
  expect(decode(d.inserted())).toEqual(new Map([['1', JSON.stringify([1, 2, 'a'])]]));
});
