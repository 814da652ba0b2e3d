/**
 * Reading connector sources: bounded ones to their end before a query or statement needs
 * them (`drain`), and sources without end in the background (`start`) while live queries
 * run and, unless the engine was opened with `background: false`, while views or sinks read
 * them, so they stay current with nobody asking.
 */
import { toSluiceError, type SluiceError } from '../errors.js';
import type { Progress } from './api-types.js';
import type { Checkpointer } from './checkpointer.js';
import type { EngineState } from './engine-state.js';
import type { ReadYourWrites } from './read-your-writes.js';
import { yieldToEventLoop } from './source-runtime.js';

/** Longest wait for data between two rounds of background reading (idle timeouts are checked each round). */
const IDLE_MS = 50;

export interface PumpOptions {
  readonly background: boolean;
  readonly onBackgroundError: ((error: SluiceError) => void) | undefined;
}

export class SourcePump {
  private pumping = false;

  constructor(
    private readonly s: EngineState,
    private readonly checkpointer: Checkpointer,
    private readonly progress: ReadYourWrites,
    private readonly options: PumpOptions,
  ) {}

  /** Whether anything needs sources read in the background. */
  wanted(): boolean {
    if (this.s.liveQueries.size > 0) return true;
    if (!this.options.background) return false;
    for (const src of this.s.sources.values()) if (src.isConnector && !src.bounded && !src.ended && src.failure === null && src.inputs.size > 0) return true;
    return false;
  }

  /** Starts background reading (and idle timeouts) unless it runs already; it stops once nothing wants it. */
  start(): void {
    if (this.pumping) return;
    this.pumping = true;
    const { s } = this;
    const loop = async (): Promise<void> => {
      while (!s.closed && this.wanted()) {
        const worked = await s.queue.run(async () => {
          const now = Date.now();
          let any = false;
          for (const src of s.sources.values()) {
            src.tick(now);
            if (!src.isConnector || src.ended || src.failure !== null || src.inputs.size === 0) continue;
            try {
              any = (await src.step(s.batchSize())) || any;
            } catch (e) {
              // One broken source stops alone: the others, and the API, go on.
              src.failure = toSluiceError(e);
              this.options.onBackgroundError?.(src.failure);
            }
          }
          await this.checkpointer.maybeCheckpoint();
          return any;
        }).catch(() => false);
        if (worked) this.progress.notify();
        // Yield to other calls; when there was nothing to read, wait for data (at most 50 ms, for idle timeouts) without holding the queue.
        await new Promise((r) => setImmediate(r));
        if (!worked) await Promise.race([...s.sources.values()].filter((src) => src.isConnector && !src.ended && src.inputs.size > 0).map((src) => src.waitForData(IDLE_MS)).concat(new Promise<void>((r) => setTimeout(r, IDLE_MS))));
      }
      this.pumping = false;
    };
    void loop();
  }

  /** Starts background reading if anything wants it (after a view or sink was created). */
  startIfWanted(): void {
    if (this.wanted()) this.start();
  }

  /** Reads every bounded connector source to its end, interleaving them by event time. */
  async drain(onProgress?: (p: Progress) => void): Promise<void> {
    const batchSize = this.s.batchSize();
    for (;;) {
      const open = [...this.s.sources.values()].filter((src) => src.isConnector && src.bounded && !src.ended);
      if (open.length === 0) return;
      const next = open.reduce((a, b) => (b.maxEventTime < a.maxEventTime ? b : a));
      const more = await next.step(batchSize);
      onProgress?.({ source: next.name, events: next.eventsRead, done: !more });
      await this.checkpointer.maybeCheckpoint();
      await yieldToEventLoop();
    }
  }

  /** The sources background reading stopped on, with why. */
  failures(): { source: string; error: SluiceError }[] {
    return [...this.s.sources.values()].filter((src) => src.failure !== null).map((src) => ({ source: src.name, error: src.failure! }));
  }
}
