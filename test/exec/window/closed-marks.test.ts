import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClosedMarks } from '../../../src/exec/window/closed-marks.js';

describe('ClosedMarks', () => {
  it('answers as a Map of partition id to mark over random sets and deletes', () => {
    const op = fc.oneof(
      fc.record({ set: fc.integer({ min: 0, max: 300 }), until: fc.integer({ min: -1e12, max: 1e12 }) }),
      fc.record({ del: fc.integer({ min: 0, max: 300 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const marks = new ClosedMarks();
        const ref = new Map<number, number>();
        for (const o of ops) {
          if ('set' in o) {
            marks.set(o.set, o.until);
            ref.set(o.set, o.until);
          } else {
            marks.delete(o.del);
            ref.delete(o.del);
          }
        }
        expect(marks.size).toBe(ref.size);
        expect([...marks.keys()]).toEqual([...ref.keys()].sort((a, b) => a - b));
        for (let p = 0; p <= 310; p++) {
          expect(marks.has(p)).toBe(ref.has(p));
          expect(marks.get(p)).toBe(ref.get(p) ?? -Infinity);
        }
      }),
    );
  });
});
