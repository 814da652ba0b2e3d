/**
 * Window arithmetic on epoch milliseconds. Windows are aligned to the epoch shifted by
 * `offset`; a window is [start, end) and its time is end - 1.
 */

/** The remainder of a / b, always in [0, b). */
export function floorMod(a: number, b: number): number {
  // `%` on doubles beyond int32 is a call to fmod, about twice the cost of a division. Below
  // 2^52 the floored quotient is exact; the corrections only guard against rounding.
  if (a < 4503599627370496 && a > -4503599627370496) {
    const r = a - Math.floor(a / b) * b;
    return r < 0 ? r + b : r >= b ? r - b : r;
  }
  const r = a % b;
  return r < 0 ? r + b : r;
}

/** The start of the tumbling window of `ts`. */
export function tumbleStart(ts: number, size: number, offset: number): number {
  return ts - floorMod(ts - offset, size);
}

/** The most windows one row can fall in. */
export function maxWindowsPerRow(kind: 'TUMBLE' | 'HOP' | 'CUMULATE', size: number, slide: number): number {
  if (kind === 'TUMBLE') return 1;
  if (kind === 'HOP') return Math.ceil(size / slide);
  return size / slide;
}

/**
 * Writes the [start, end) of every window of `ts` into `starts`/`ends` from `at`; returns
 * how many. HOP: every window with start <= ts < start + size on the slide grid. CUMULATE:
 * the windows [s, s + k·step) of ts's period s that contain ts.
 */
export function assignWindows(
  kind: 'TUMBLE' | 'HOP' | 'CUMULATE',
  ts: number,
  size: number,
  slide: number,
  offset: number,
  starts: Float64Array,
  ends: Float64Array,
  at: number,
): number {
  if (kind === 'TUMBLE') {
    const s = ts - floorMod(ts - offset, size);
    starts[at] = s;
    ends[at] = s + size;
    return 1;
  }
  if (kind === 'HOP') {
    let s = ts - floorMod(ts - offset, slide);
    let k = 0;
    // Oldest window first, so output follows window order.
    let first = s;
    while (first - slide > ts - size) first -= slide;
    for (s = first; s <= ts; s += slide) {
      starts[at + k] = s;
      ends[at + k] = s + size;
      k++;
    }
    return k;
  }
  const s = ts - floorMod(ts - offset, size);
  let k = 0;
  for (let e = s + slide * (Math.floor((ts - s) / slide) + 1); e <= s + size; e += slide) {
    starts[at + k] = s;
    ends[at + k] = e;
    k++;
  }
  return k;
}

/** The start of the cumulating window that ends at `end`. */
export function cumulateStart(end: number, size: number, offset: number): number {
  return end - 1 - floorMod(end - 1 - offset, size);
}

/**
 * The least window_start of any window still open at watermark `wm` (one with end > wm):
 * rows emitted later for such windows start there or after, so the watermark of a window's
 * output must hold back to it (a downstream window on window_start would otherwise find
 * them late).
 */
export function firstOpenStart(kind: 'TUMBLE' | 'HOP' | 'CUMULATE', wm: number, size: number, slide: number, offset: number): number {
  if (!Number.isFinite(wm)) return wm;
  if (kind === 'TUMBLE' || kind === 'CUMULATE') return tumbleStart(wm, size, offset);
  // The first HOP start on the grid above wm - size.
  return tumbleStart(wm - size, slide, offset) + slide;
}
