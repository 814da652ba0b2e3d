/**
 * Counter-based randomness for the Nexmark generator: every random choice is a hash of
 * (seed, event number, which choice), not the next output of a sequential PRNG. So any
 * event can be generated alone, a table can skip the events of the other two for free, and
 * the rows do not depend on how the sequence is cut into batches.
 */

/** The lowbias32 finalizer of a 32-bit value, as a signed int32 (small: V8 inlines it in the generator's loops). */
export function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  return x ^ (x >>> 16);
}

/** A 32-bit key naming one random choice (column/field `k`) under `seed`. */
export function streamKey(seed: number, k: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  const x = (Math.imul(lo ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(hi + 0x165667b1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca77)) | 0;
  return lowbias32(x) >>> 0;
}

/**
 * Uniform 32-bit hash of event `n` (an integer below 2^53) under `key`: a Weyl step then
 * the lowbias32 finalizer (good avalanche for consecutive n).
 */
export function hash32(n: number, key: number): number {
  const x = Math.imul(n >>> 0, 0x9e3779b1) ^ key ^ Math.imul((n * 2.3283064365386963e-10) >>> 0, 0x632be5ab);
  return lowbias32(x) >>> 0;
}

/**
 * {@link hash32} as a signed int32 (the same bits): for callers that only take bit fields,
 * so the value never leaves V8's int32 representation.
 */
export function hashBits(n: number, key: number): number {
  const x = Math.imul(n >>> 0, 0x9e3779b1) ^ key ^ Math.imul((n * 2.3283064365386963e-10) >>> 0, 0x632be5ab);
  return lowbias32(x);
}

/** 2^-32: turns a 32-bit hash into a uniform double in [0, 1). */
export const U32 = 1 / 4294967296;
