import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floorMod } from '../../../src/exec/window/window-math.js';

/** The definition, with exact BigInt arithmetic. */
const reference = (a: bigint, b: bigint): bigint => ((a % b) + b) % b;

describe('floorMod', () => {
  it('equals the exact floored remainder for epoch-millisecond times and window sizes', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 53n) + 1n, max: 2n ** 53n - 1n }),
        fc.oneof(fc.bigInt({ min: 1n, max: 10_000n }), fc.bigInt({ min: 1n, max: 2n ** 40n })),
        (a, b) => {
          expect(floorMod(Number(a), Number(b)) + 0).toBe(Number(reference(a, b)));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('is right next to multiples and at the top of the fast range', () => {
    for (const b of [3, 7, 1000, 10_000, 86_400_000]) {
      for (const k of [1, 12345, 170_000_000, Math.floor(2 ** 52 / b) - 1]) {
        for (const d of [-1, 0, 1]) {
          const a = k * b + d;
          expect(floorMod(a, b) + 0).toBe(Number(reference(BigInt(a), BigInt(b))));
          expect(floorMod(-a, b) + 0).toBe(Number(reference(BigInt(-a), BigInt(b))));
        }
      }
    }
  });
});
