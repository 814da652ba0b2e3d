/**
 * A source's watermark as one pipeline input sees it (SPEC 2.5): the largest event time so
 * far minus the allowed delay, advancing row by row in arrival order and never going back.
 * Each row is stamped with the watermark set by the rows before it, so results do not
 * depend on how input is cut into batches.
 *
 * Idleness: with an idle timeout, once no event has arrived for that long the watermark
 * moves on as if event time kept pace with the wall clock since the last event, so windows
 * close when traffic stops.
 */
import type { Data } from 'apache-arrow';

export class WatermarkTracker {
  private maxTs = -Infinity;
  current = -Infinity;
  private lastArrival = 0;

  /**
   * @param delayMs allowed out-of-orderness, or null when the source declares no event time
   *   (its watermark moves only by advanceWatermark, idleness or end of stream)
   */
  constructor(
    private readonly delayMs: number | null,
    private readonly idleTimeoutMs: number | null = null,
  ) {}

  /** Per-row watermarks for a batch (null when all rows share `current`), then advances. */
  observe(ts: Data | null, n: number, now: number): Float64Array | null {
    if (n > 0) this.lastArrival = now;
    if (ts === null || this.delayMs === null || n === 0) return null;
    const values = ts.values as Float64Array;
    const bm = ts.nullCount > 0 ? ts.nullBitmap! : null;
    const delay = this.delayMs;
    const out = new Float64Array(n);
    let wm = this.current;
    let max = this.maxTs;
    for (let i = 0; i < n; i++) {
      out[i] = wm;
      if (bm !== null && ((bm[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const t = values[i]!;
      if (t > max) {
        max = t;
        if (t - delay > wm) wm = t - delay;
      }
    }
    this.maxTs = max;
    this.current = wm;
    return out;
  }

  /** Moves the watermark to at least `t`; true when it advanced. */
  advance(t: number): boolean {
    if (t <= this.current) return false;
    this.current = t;
    return true;
  }

  /** The source ended: every window can close. */
  end(): boolean {
    return this.advance(Infinity);
  }

  /** Applies idleness at wall-clock time `now`; true when the watermark advanced. */
  tick(now: number): boolean {
    if (this.idleTimeoutMs === null || this.delayMs === null || !Number.isFinite(this.maxTs)) return false;
    const idle = now - this.lastArrival;
    if (idle < this.idleTimeoutMs) return false;
    return this.advance(this.maxTs - this.delayMs + idle);
  }

  save(): { maxTs: number | null; current: number | null } {
    const f = (x: number) => (Number.isFinite(x) ? x : x > 0 ? 1e308 : null);
    return { maxTs: f(this.maxTs), current: f(this.current) };
  }

  load(s: { maxTs: number | null; current: number | null }): void {
    const f = (x: number | null) => (x === null ? -Infinity : x >= 1e308 ? Infinity : x);
    this.maxTs = f(s.maxTs);
    this.current = f(s.current);
  }
}
