/**
 * A source's watermark as one pipeline input sees it (SPEC 2.5): per partition, the largest
 * event time so far minus the allowed delay; the source's watermark is the minimum over its
 * partitions, advancing row by row in arrival order and never going back. Each row is
 * stamped with the watermark set by the rows before it, so results do not depend on how
 * input is cut into batches.
 *
 * Idleness: with an idle timeout, a partition with no event for that long stops holding the
 * minimum back; when every partition is idle, the watermark moves on as if event time kept
 * pace with the wall clock since the last event, so windows close when traffic stops.
 */
import type { Data } from 'apache-arrow';

interface Partition {
  max: number;
  lastArrival: number;
  idle: boolean;
}

/**
 * The partition of each row of a batch whose rows come from several partitions, in arrival
 * order (a broker interleaves them): row i is of partition `names[ids[i]]`. Cutting such a
 * batch into runs of one partition would make one-row batches of a round-robin stream.
 */
export interface RowPartitions {
  readonly ids: Int32Array;
  readonly names: readonly string[];
}

export class WatermarkTracker {
  private readonly partitions = new Map<string, Partition>();
  current = -Infinity;

  /**
   * @param delayMs allowed out-of-orderness, or null when the source declares no event time
   *   (its watermark moves only by advanceWatermark, idleness or end of stream)
   */
  constructor(
    private readonly delayMs: number | null,
    private readonly idleTimeoutMs: number | null = null,
  ) {}

  private partition(key: string, now: number): Partition {
    let p = this.partitions.get(key);
    if (!p) this.partitions.set(key, (p = { max: -Infinity, lastArrival: now, idle: false }));
    return p;
  }

  /** The minimum of (max − delay) over the partitions that are not idle (−∞ if any is empty). */
  private combined(): number {
    let min = Infinity;
    let any = false;
    for (const p of this.partitions.values()) {
      if (p.idle) continue;
      any = true;
      if (p.max < min) min = p.max;
    }
    return any ? min - this.delayMs! : -Infinity;
  }

  /**
   * Per-row watermarks for a batch of one partition (null when all rows share `current`),
   * then advances.
   */
  observe(ts: Data | null, n: number, now: number, partitionKey: string | RowPartitions = ''): Float64Array | null {
    if (n === 0) return null;
    if (typeof partitionKey !== 'string') return this.observeRows(ts, n, now, partitionKey);
    const part = this.partition(partitionKey, now);
    part.lastArrival = now;
    part.idle = false;
    if (ts === null || this.delayMs === null) return null;
    const values = ts.values as Float64Array;
    const bm = ts.nullCount > 0 ? ts.nullBitmap! : null;
    const delay = this.delayMs;
    const single = this.partitions.size === 1;
    const out = new Float64Array(n);
    let wm = this.current;
    // A partition that wakes up from idleness holds the minimum again (the watermark itself never goes back).
    let max = part.max;
    for (let i = 0; i < n; i++) {
      out[i] = wm;
      if (bm !== null && ((bm[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const t = values[i]!;
      if (t > max) {
        max = t;
        // One partition: its max alone moves the watermark (kept in a local until the end).
        let next = t - delay;
        if (!single) {
          part.max = t;
          next = this.combined();
        }
        if (next > wm) wm = next;
      }
    }
    part.max = max;
    this.current = wm;
    return out;
  }

  /** `observe` for a batch that mixes partitions: the same per-row rule, each row in its own partition. */
  private observeRows(ts: Data | null, n: number, now: number, rows: RowPartitions): Float64Array | null {
    // A partition counts from its first row on (registered empty, it would hold the minimum at −∞).
    const parts: (Partition | undefined)[] = new Array(rows.names.length);
    const ids = rows.ids;
    const at = (i: number): Partition => {
      const id = ids[i]!;
      let p = parts[id];
      if (p === undefined) {
        parts[id] = p = this.partition(rows.names[id]!, now);
        p.lastArrival = now;
        p.idle = false;
      }
      return p;
    };
    if (ts === null || this.delayMs === null) {
      for (let i = 0; i < n; i++) at(i);
      return null;
    }
    const values = ts.values as Float64Array;
    const bm = ts.nullCount > 0 ? ts.nullBitmap! : null;
    const out = new Float64Array(n);
    let wm = this.current;
    for (let i = 0; i < n; i++) {
      out[i] = wm;
      const part = at(i);
      if (bm !== null && ((bm[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const t = values[i]!;
      if (t > part.max) {
        part.max = t;
        const next = this.partitions.size === 1 ? t - this.delayMs : this.combined();
        if (next > wm) wm = next;
      }
    }
    this.current = wm;
    return out;
  }

  /**
   * Registers partitions that hold the minimum before their first row (at −∞, until their
   * idle timeout): a stream fed by several upstream partitions must wait for each of them,
   * as a Flink channel holds its operator's watermark until its first watermark.
   */
  hold(names: readonly string[], now: number): void {
    for (const n of names) this.partition(n, now);
  }

  /**
   * A partition has passed event time `t` without a row here (a repartition stream's
   * watermark message): it counts as a row at `t` would, for the watermark only. True when
   * the watermark advanced.
   */
  progress(name: string, t: number, now: number): boolean {
    const p = this.partition(name, now);
    p.lastArrival = now;
    p.idle = false;
    if (this.delayMs === null || t <= p.max) return false;
    p.max = t;
    return this.advance(this.combined());
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
    if (this.idleTimeoutMs === null || this.delayMs === null || this.partitions.size === 0) return false;
    let changed = false;
    let allIdle = true;
    let latest: Partition | null = null;
    for (const p of this.partitions.values()) {
      if (!p.idle && now - p.lastArrival >= this.idleTimeoutMs) {
        p.idle = true;
        changed = true;
      }
      if (!p.idle) allIdle = false;
      if (latest === null || p.lastArrival > latest.lastArrival) latest = p;
    }
    if (allIdle) {
      let max = -Infinity;
      for (const p of this.partitions.values()) max = Math.max(max, p.max);
      if (!Number.isFinite(max)) return false;
      return this.advance(max - this.delayMs + (now - latest!.lastArrival));
    }
    return changed ? this.advance(this.combined()) : false;
  }

  save(): { current: number | null; partitions: [string, number | null][] } {
    const f = (x: number) => (Number.isFinite(x) ? x : x > 0 ? 1e308 : null);
    return { current: f(this.current), partitions: [...this.partitions].map(([k, p]) => [k, f(p.max)]) };
  }

  load(s: { current: number | null; partitions?: [string, number | null][]; maxTs?: number | null }): void {
    const f = (x: number | null | undefined) => (x === null || x === undefined ? -Infinity : x >= 1e308 ? Infinity : x);
    this.current = f(s.current);
    this.partitions.clear();
    const now = Date.now();
    for (const [k, max] of s.partitions ?? [['', s.maxTs ?? null]]) {
      this.partitions.set(k, { max: f(max), lastArrival: now, idle: false });
    }
  }
}
