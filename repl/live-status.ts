/**
 * The status line under a live result: input rate, watermark, late events, state size and
 * what the result holds. The rate is measured from the engine's running event count, so it
 * needs samples over time; everything else is read as it is.
 */
import { groupThousands } from './format.js';
import type { ChangeCounts } from './live-result.js';

/** Events per second from samples of a running count, over a sliding window. */
export class RateMeter {
  private readonly samples: { t: number; n: number }[] = [];

  constructor(private readonly windowMs = 2000) {}

  /** Records the running count `count` at time `now` (ms). */
  sample(now: number, count: number): void {
    this.samples.push({ t: now, n: count });
    // Keep one sample older than the window so the rate spans the whole window.
    while (this.samples.length > 2 && this.samples[1]!.t <= now - this.windowMs) this.samples.shift();
  }

  /** Events per second between the oldest kept sample and the newest; 0 until two samples exist. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.t <= first.t) return 0;
    return Math.max(0, ((last.n - first.n) * 1000) / (last.t - first.t));
  }
}

export interface LiveStatus {
  readonly eventsPerSecond: number;
  readonly watermark: Date | 'end of input' | null;
  readonly lateEvents: number;
  readonly stateSize: number;
  /** Rows in the result now. */
  readonly rows: number;
  readonly counts: ChangeCounts;
  /** Rows dropped from the display to bound memory. */
  readonly evicted: number;
  /** The query has finished reading (it stays shown until Ctrl-C). */
  readonly stopped?: boolean;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${groupThousands(n)} ${n === 1 ? one : many}`;
}

function watermarkText(w: LiveStatus['watermark']): string {
  if (w === null) return 'none yet';
  if (w === 'end of input') return 'end of input';
  return Number.isNaN(w.getTime()) ? 'none yet' : w.toISOString();
}

/**
 * The status line, e.g.
 * `events/s 1,204 · watermark 2024-01-01T00:00:10.000Z · late 0 · state 42 · 12 rows (+15 ~3 -1) · Ctrl-C to stop`.
 */
export function statusLine(s: LiveStatus): string {
  const { inserts, updates, deletes } = s.counts;
  const parts = [
    // A rate means nothing in the summary left after the query stopped.
    ...(s.stopped ? [] : [`events/s ${groupThousands(Math.round(s.eventsPerSecond))}`]),
    `watermark ${watermarkText(s.watermark)}`,
    `late ${groupThousands(s.lateEvents)}`,
    `state ${groupThousands(s.stateSize)}`,
    `${plural(s.rows, 'row')} (+${groupThousands(inserts)} ~${groupThousands(updates)} -${groupThousands(deletes)})`,
  ];
  if (s.evicted > 0) parts.push(`oldest ${groupThousands(s.evicted)} not kept`);
  if (!s.stopped) parts.push('Ctrl-C to stop');
  return parts.join(' · ');
}
