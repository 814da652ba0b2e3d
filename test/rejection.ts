/** Awaits a promise that must reject, and gives what it rejected with (a SluiceError in these tests). */
import type { SluiceError } from '../src/index.js';

export async function rejection(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (e) {
    return e as SluiceError;
  }
  throw new Error('expected the call to reject');
}
