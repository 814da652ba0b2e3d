/** A progress line on stderr while bounded sources are read (only when stderr is a terminal). */
import cliProgress from 'cli-progress';
import type { Progress } from '../engine/engine.js';

export class ProgressReporter {
  private bar: cliProgress.SingleBar | null = null;
  private readonly enabled = process.stderr.isTTY === true;
  private last = 0;

  update(p: Progress): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'reading {source} {bar} {value} events', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.max(1, p.events), p.events, { source: p.source });
    }
    if (now - this.last < 100 && !p.done) return;
    this.last = now;
    this.bar.setTotal(Math.max(p.events, 1));
    this.bar.update(p.events, { source: p.source });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
