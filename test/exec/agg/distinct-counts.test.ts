/**
 * DistinctCounts (COUNT(DISTINCT) of numbers in typed arrays) against GroupMultisets (a Map
 * per group), the implementation it replaces for that case: random adds and retractions
 * (including retractions of absent values, and -0), resets, merges, and both checkpoint
 * forms, which must be readable by the other implementation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColumnBuilder } from '../../../src/exec/batch.js';
import { ColumnarState } from '../../../src/exec/columnar-state.js';
import { DistinctCounts } from '../../../src/exec/agg/distinct-counts.js';
import { GroupMultisets } from '../../../src/exec/agg/multiset.js';
import type { SqlType } from '../../../src/types.js';

const GROUPS = 6;

type Op =
  | { kind: 'rows'; rows: { g: number; v: number | null; s: 1 | -1 }[] }
  | { kind: 'reset'; g: number }
  | { kind: 'merge'; dst: number; src: number }
  | { kind: 'save' }
  | { kind: 'columns' };

const value = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.constantFrom(-0, 0.5, 1e300, null));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('rows' as const), rows: fc.array(fc.record({ g: fc.integer({ min: 0, max: GROUPS - 1 }), v: value, s: fc.constantFrom(1 as const, 1 as const, -1 as const) }), { maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), g: fc.integer({ min: 0, max: GROUPS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), dst: fc.integer({ min: 0, max: GROUPS - 1 }), src: fc.integer({ min: 0, max: GROUPS - 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'save' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'columns' as const }) },
);

/** Each group's [value, count] pairs in order (a Map's: checkpoints must read the same). */
function contents(get: (g: number) => readonly (readonly [unknown, number])[]): string[] {
  return Array.from({ length: GROUPS }, (_, g) => JSON.stringify(get(g)));
}

function check(type: SqlType): void {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const fast = new DistinctCounts(type);
      const ref = new GroupMultisets(type);
      const ids = Int32Array.from({ length: GROUPS }, (_, g) => g);
      for (const o of ops) {
        if (o.kind === 'rows') {
          const rows = o.rows.filter((r) => type !== 'INT' || r.v === null || (Number.isInteger(r.v) && Math.abs(r.v) < 1e9));
          const b = new ColumnBuilder(type, rows.length);
          for (const r of rows) b.append(r.v);
          const data = b.finish();
          const gids = Int32Array.from(rows, (r) => r.g);
          const signs = Int8Array.from(rows, (r) => r.s);
          fast.update(gids, rows.length, data, signs);
          ref.update(gids, rows.length, data, signs);
        } else if (o.kind === 'reset') {
          fast.reset(o.g);
          ref.reset(o.g);
        } else if (o.kind === 'merge') {
          if (o.dst === o.src) continue;
          fast.merge(o.dst, o.src, fast);
          ref.merge(o.dst, o.src);
          fast.reset(o.src);
          ref.reset(o.src);
        } else if (o.kind === 'save') {
          // JSON, as incremental checkpoints store a group; each reads the other's.
          for (let g = 0; g < GROUPS; g++) {
            const a = JSON.parse(JSON.stringify(fast.save(g))) as [number, number][];
            const b = JSON.parse(JSON.stringify(ref.save(g))) as [number, number][];
            fast.load(g, b);
            ref.load(g, a);
          }
        } else {
          const a = new ColumnarState();
          const b = new ColumnarState();
          fast.saveColumns(ids, GROUPS, a, 'x.');
          ref.saveColumns(ids, GROUPS, b, 'x.');
          fast.loadColumns(ids, GROUPS, ColumnarState.decode(b.encode()), 'x.');
          ref.loadColumns(ids, GROUPS, ColumnarState.decode(a.encode()), 'x.');
        }
        expect(contents((g) => fast.save(g))).toEqual(contents((g) => [...(ref.get(g) ?? [])]));
        for (let g = 0; g < GROUPS; g++) expect(fast.size(g)).toBe(ref.get(g)?.size ?? 0);
      }
    }),
    { numRuns: 300 },
  );
}

describe('DistinctCounts', () => {
  it('counts as the Map-based multisets do, BIGINT and DOUBLE', () => check('BIGINT'));
  it('counts as the Map-based multisets do, INT', () => check('INT'));

  it('takes every NaN as one value, as a Map key', () => {
    const d = new DistinctCounts('DOUBLE');
    const b = new ColumnBuilder('DOUBLE', 4);
    for (const v of [NaN, -NaN, 0, -0]) b.append(v);
    d.update(new Int32Array(4), 4, b.finish(), null);
    expect(d.size(0)).toBe(2);
  });

  it('keeps many values and groups through growth and removal', () => {
    const d = new DistinctCounts('BIGINT');
    const n = 50_000;
    const b = new ColumnBuilder('BIGINT', n);
    const gids = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      b.append(i % 7919);
      gids[i] = i % 13;
    }
    const data = b.finish();
    d.update(gids, n, data, null);
    const expected = Array.from({ length: 13 }, (_, g) => new Set(Array.from({ length: n }, (_, i) => i).filter((i) => i % 13 === g).map((i) => i % 7919)).size);
    for (let g = 0; g < 13; g++) expect(d.size(g)).toBe(expected[g]);
    d.update(gids, n, data, new Int8Array(n).fill(-1));
    for (let g = 0; g < 13; g++) expect(d.size(g)).toBe(0);
  });
});
