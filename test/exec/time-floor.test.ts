/**
 * TimeFloor: the least event time over the rows held, as rows come and go in any order
 * (a changelog OVER holds every row and takes back any of them), through the heap's lazy
 * deletions and its rebuilds once mostly stale. The model is the minimum over the live rows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeFloor, type FloorRow } from '../../src/exec/time-floor.js';
import type { Value } from '../../src/types.js';

interface Row extends FloorRow {
  readonly values: Value[];
  held: number;
}

const opArb = fc.oneof(
  // A new row: its time (column 1; NULL holds nothing), or one of the two time columns' least.
  fc.record({ kind: fc.constant('add' as const), t: fc.option(fc.integer({ min: -50, max: 50 }), { freq: 6 }), u: fc.option(fc.integer({ min: -50, max: 50 }), { freq: 2 }) }),
  // A row taken back: the i-th live one (modulo), or a row that is no longer held.
  fc.record({ kind: fc.constant('remove' as const), i: fc.nat(), stale: fc.boolean() }),
  fc.record({ kind: fc.constant('min' as const) }),
);

describe('TimeFloor', () => {
  it('is the least time of the rows held, whatever comes and goes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const floor = new TimeFloor<Row>([1, 2]);
        const live: Row[] = [];
        const gone: Row[] = [];
        const expected = () => {
          let m = Infinity;
          for (const r of live) for (const c of [1, 2]) if (typeof r.values[c] === 'number' && (r.values[c] as number) < m) m = r.values[c] as number;
          return m;
        };
        for (const op of ops) {
          if (op.kind === 'add') {
            const row: Row = { values: ['x', op.t, op.u], held: NaN };
            floor.add(row);
            live.push(row);
          } else if (op.kind === 'remove') {
            if (op.stale && gone.length > 0) floor.remove(gone[op.i % gone.length]!);
            else if (live.length > 0) {
              const [row] = live.splice(op.i % live.length, 1);
              floor.remove(row!);
              gone.push(row!);
            }
          } else expect(floor.min()).toBe(expected());
        }
        expect(floor.min()).toBe(expected());
      }),
      { numRuns: 300 },
    );
  });

  it('keeps memory to the rows held: a heap mostly of rows gone is rebuilt', () => {
    const floor = new TimeFloor<Row>([0]);
    const rows: Row[] = [];
    for (let i = 0; i < 10_000; i++) {
      const row: Row = { values: [i], held: NaN };
      floor.add(row);
      rows.push(row);
    }
    // Rows go from the newest: their heap entries are not at the top, so only a rebuild lets them go.
    for (let i = rows.length - 1; i >= 10; i--) {
      floor.remove(rows[i]!);
      expect(floor.min()).toBe(0);
    }
    expect((floor as unknown as { heap: { size: number } }).heap.size).toBeLessThanOrEqual(2 * 10 + 64);
    floor.remove(rows[0]!);
    expect(floor.min()).toBe(1);
  });
});
