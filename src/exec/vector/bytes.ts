/** Byte ranges compared without decoding them. */

/** Byte equality of a[as..as+len) and b[bs..bs+len). */
export function eqBytes(a: Uint8Array, as: number, b: Uint8Array, bs: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}
