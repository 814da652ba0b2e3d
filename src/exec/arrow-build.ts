/**
 * Which build of Apache Arrow this process loads (see arrow.ts). Kept apart from arrow.ts,
 * which loads Arrow when it is imported: the command must choose before that.
 */
const SINGLE_FILE = Symbol.for('sluice.arrow.single-file');

/** The process loads Arrow's single-file build: call before anything imports the engine. */
export function useSingleFileArrow(): void {
  (globalThis as Record<symbol, unknown>)[SINGLE_FILE] = true;
}

export function singleFileArrowWanted(): boolean {
  return (globalThis as Record<symbol, unknown>)[SINGLE_FILE] === true;
}
