/** The most rows one `next()` returns, whatever the caller asks (a batch must fit in memory). */
export const MAX_BATCH_ROWS = 1 << 20;

/** Caps a caller's `maxRows` to [1, MAX_BATCH_ROWS]. */
export function clampMaxRows(maxRows: number): number {
  if (!(maxRows >= 1)) return 1;
  return Math.min(Math.floor(maxRows), MAX_BATCH_ROWS);
}
