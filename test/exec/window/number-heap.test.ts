/** NumberHeap against a sorted list: random pushes, pops and clears give pairs in key order. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { NumberHeap } from '../../../src/exec/window/number-heap.js';

it('pops pairs by key, whatever the order of pushes and pops (growing past its first capacity)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.record({ push: fc.integer({ min: -50, max: 50 }), value: fc.integer({ min: 0, max: 2 ** 40 }) }), fc.constant('pop' as const), fc.constant('clear' as const)), { maxLength: 400 }),
      (ops) => {
        const heap = new NumberHeap();
        let model: { key: number; value: number }[] = [];
        for (const op of ops) {
          if (op === 'clear') {
            heap.clear();
            model = [];
          } else if (op === 'pop') {
            model.sort((a, b) => a.key - b.key);
            const want = model.shift();
            if (want === undefined) {
              expect(heap.pop()).toBeUndefined();
              continue;
            }
            // Ties on the key may come out in any order: the key must match, the value be one of the tied.
            expect(heap.peekKey()).toBe(want.key);
            const [key, value] = heap.pop()!;
            expect(key).toBe(want.key);
            const tied = [want, ...model.filter((m) => m.key === key)];
            const at = tied.findIndex((m) => m.value === value);
            expect(at).toBeGreaterThanOrEqual(0);
            if (at > 0) {
              model.splice(model.indexOf(tied[at]!), 1);
              model.push(want);
            }
          } else {
            heap.push(op.push, op.value);
            model.push({ key: op.push, value: op.value });
          }
          expect(heap.size).toBe(model.length);
        }
      },
    ),
    { numRuns: 200 },
  );
});

it('removeTop drops the pair peekKey and peekValue show', () => {
  const heap = new NumberHeap();
  for (let i = 0; i < 200; i++) heap.push((i * 37) % 101, i);
  let last = -Infinity;
  while (heap.size > 0) {
    const k = heap.peekKey()!;
    expect(k).toBeGreaterThanOrEqual(last);
    expect((heap.peekValue()! * 37) % 101).toBe(k);
    last = k;
    heap.removeTop();
  }
  expect(heap.peekKey()).toBeUndefined();
});
