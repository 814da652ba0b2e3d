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

/**
 * Lanes: one table shared by LANES calls must keep each lane exactly as a table of its own
 * (a GroupMultisets per lane): rows fold into a random subset of lanes at once
 * (updateLanes), with each lane's value the row's base value (the common case, one lookup),
 * NULL, or another value; resets and loads of one lane, merges between lanes and tables.
 */
const LANES = 3;

type LaneOp =
  | { kind: 'rows'; lanes: number[]; rows: { g: number; v: number; own: (number | null | 'base')[]; s: 1 | -1 }[] }
  | { kind: 'reset'; g: number; lane: number }
  | { kind: 'merge'; dst: number; src: number; lane: number; fromLane: number; other: boolean }
  | { kind: 'save'; lane: number }
  | { kind: 'columns'; lane: number };

const lane = fc.integer({ min: 0, max: LANES - 1 });
const group = fc.integer({ min: 0, max: GROUPS - 1 });
const laneValue = fc.oneof({ weight: 4, arbitrary: fc.constant('base' as const) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 12 }) });
const laneOp: fc.Arbitrary<LaneOp> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('rows' as const),
      lanes: fc.uniqueArray(lane, { minLength: 1, maxLength: LANES }),
      rows: fc.array(fc.record({ g: group, v: fc.constantFrom(-0, 0, 1, 2, 3, 7, 0.5), own: fc.array(laneValue, { minLength: LANES, maxLength: LANES }), s: fc.constantFrom(1 as const, 1 as const, -1 as const) }), { maxLength: 30 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), g: group, lane }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), dst: group, src: group, lane, fromLane: lane, other: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('save' as const), lane }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('columns' as const), lane }) },
);

describe('DistinctCounts lanes', () => {
  it('keep each lane as a table of its own', () => {
    fc.assert(
      fc.property(fc.array(laneOp, { maxLength: 25 }), (ops) => {
        const shared = new DistinctCounts('DOUBLE', LANES);
        const refs = Array.from({ length: LANES }, () => new GroupMultisets('DOUBLE'));
        // A second shared table and its references, to merge from.
        const other = new DistinctCounts('DOUBLE', LANES);
        const otherRefs = Array.from({ length: LANES }, () => new GroupMultisets('DOUBLE'));
        const ids = Int32Array.from({ length: GROUPS }, (_, g) => g);
        for (const o of ops) {
          if (o.kind === 'rows') {
            const gids = Int32Array.from(o.rows, (r) => r.g);
            const signs = Int8Array.from(o.rows, (r) => r.s);
            const cols = o.lanes.map((l) => {
              const b = new ColumnBuilder('DOUBLE', o.rows.length);
              for (const r of o.rows) b.append(r.own[l] === 'base' ? r.v : r.own[l]!);
              return b.finish();
            });
            shared.updateLanes(gids, o.rows.length, cols, o.lanes, signs);
            o.lanes.forEach((l, j) => refs[l]!.update(gids, o.rows.length, cols[j]!, signs));
            // The other table gets the same rows in the other lane order, one lane at a time.
            o.lanes.forEach((l, j) => other.update(gids, o.rows.length, cols[j]!, signs, l));
            o.lanes.forEach((l, j) => otherRefs[l]!.update(gids, o.rows.length, cols[j]!, signs));
          } else if (o.kind === 'reset') {
            shared.reset(o.g, o.lane);
            refs[o.lane]!.reset(o.g);
          } else if (o.kind === 'merge') {
            if (!o.other && o.dst === o.src && o.lane === o.fromLane) continue;
            shared.merge(o.dst, o.src, o.other ? other : shared, o.lane, o.fromLane);
            refs[o.lane]!.merge(o.dst, o.src, (o.other ? otherRefs : refs)[o.fromLane]!);
          } else if (o.kind === 'save') {
            for (let g = 0; g < GROUPS; g++) {
              const a = JSON.parse(JSON.stringify(shared.save(g, o.lane))) as [number, number][];
              shared.reset(g, o.lane);
              shared.load(g, a, o.lane);
            }
          } else {
            const a = new ColumnarState();
            shared.saveColumns(ids, GROUPS, a, 'x.', o.lane);
            for (let g = 0; g < GROUPS; g++) shared.reset(g, o.lane);
            shared.loadColumns(ids, GROUPS, ColumnarState.decode(a.encode()), 'x.', o.lane);
          }
          for (let l = 0; l < LANES; l++) {
            expect(contents((g) => shared.save(g, l))).toEqual(contents((g) => [...(refs[l]!.get(g) ?? [])]));
            for (let g = 0; g < GROUPS; g++) expect(shared.size(g, l)).toBe(refs[l]!.get(g)?.size ?? 0);
            expect(contents((g) => other.save(g, l))).toEqual(contents((g) => [...(otherRefs[l]!.get(g) ?? [])]));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
