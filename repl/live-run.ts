/**
 * One live result on screen: the engine's continuous query, its rows folded as they
 * arrive, the input rate, and the table and status line to draw. It re-renders at most
 * every `renderMs` however fast changes come, and refreshes the status line every
 * `tickMs`; the session decides what to do when it ends.
 */
import type { Statement } from '../grammar/ast.js';
import type { LiveQuery, ResultColumn } from '../src/engine/engine.js';
import { toSluiceError } from '../src/errors.js';
import type { OutputMode } from './dot-commands.js';
import { formatResult, formatTable, groupThousands } from './format.js';
import { LiveResult, type RowMark } from './live-result.js';
import { RateMeter, statusLine } from './live-status.js';
import { rowComparator, sortColumns } from './result-order.js';
import type { ReplEngine } from './shell.js';

/** One line of a live table; `mark` colours rows changed a moment ago. */
export interface LiveLine {
  readonly text: string;
  readonly mark: RowMark | null;
}

export interface LiveView {
  readonly lines: readonly LiveLine[];
  readonly status: string;
}

export interface LiveRunOptions {
  readonly engine: ReplEngine;
  readonly text: string;
  readonly statement: Statement;
  readonly now: () => number;
  /** Shortest time between two renders, in ms. */
  readonly renderMs: number;
  /** How often the status line is refreshed (and the end of input looked for), in ms. */
  readonly tickMs: number;
  /** How long a changed row stays marked, in ms. */
  readonly flashMs: number;
  /** The terminal size now. */
  readonly size: () => { width: number; height: number };
  /** The view changed: draw it. */
  readonly onChange: () => void;
  /** A SELECT's inputs all ended: its result is final. */
  readonly onEndOfInput: () => void;
}

/** Lines of the screen kept free around a live table: header, footer, note, status line, a margin. */
const RESERVED_LINES = 12;

/** The engine's rejection of a live query that is a pull query (answered by execute instead). */
export function isPullQueryRejection(e: unknown): boolean {
  const err = toSluiceError(e);
  return err.code === 'BIND' && err.message.startsWith('a live query is a SELECT over sources');
}

export class LiveRun {
  readonly subscribe: boolean;
  private readonly result: LiveResult;
  private readonly rate = new RateMeter();
  private query: LiveQuery | undefined;
  private columns: readonly ResultColumn[] = [];
  private tick: ReturnType<typeof setInterval> | undefined;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private lastRender = 0;
  private stopped = false;
  /** The table and status as last rendered. */
  view: LiveView | null = null;

  private constructor(private readonly o: LiveRunOptions) {
    this.subscribe = o.statement.kind === 'Subscribe';
    this.result = new LiveResult({ flashMs: o.flashMs });
  }

  /**
   * Starts the continuous query. Resolves to undefined for a pull query (the engine refuses
   * it; the caller runs it with execute); other rejections are thrown.
   */
  static async start(o: LiveRunOptions): Promise<LiveRun | undefined> {
    const run = new LiveRun(o);
    try {
      // The listener gets everything so far before live() resolves; the fold is ready for it.
      run.query = await o.engine.live(o.text, (changes) => {
        run.result.apply(changes, o.now());
        run.scheduleRender();
      });
    } catch (e) {
      if (isPullQueryRejection(e)) return undefined;
      throw e;
    }
    run.columns = run.query.columns;
    const keys = sortColumns(o.statement, run.columns);
    if (keys) run.result.setCompare(rowComparator(keys));
    run.rate.sample(o.now(), run.metrics().eventsIn);
    return run;
  }

  /** A SELECT (not SUBSCRIBE) whose every input has ended. SUBSCRIBE waits for the user. */
  get endedInput(): boolean {
    return !this.subscribe && this.query?.status().watermark === 'end of input';
  }

  /** Starts drawing: renders now and keeps the status line fresh. */
  show(): void {
    this.render();
    this.tick = setInterval(() => {
      if (this.stopped) return;
      this.rate.sample(this.o.now(), this.metrics().eventsIn);
      if (this.endedInput) {
        this.o.onEndOfInput();
        return;
      }
      this.render();
      this.o.onChange();
    }, this.o.tickMs);
  }

  /** Renders again (the terminal was resized). */
  refresh(): void {
    if (!this.stopped && this.tick !== undefined) this.render();
  }

  /** Stops the query and the timers (again is harmless). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.tick);
    clearTimeout(this.renderTimer);
    await this.query?.stop();
  }

  /** The final rows in the shell's output mode, cut like any result. */
  finalText(mode: OutputMode, maxRows: number, width: number): string {
    const rows = this.result.rows().map((row) => this.columns.map((c) => row[c.name]));
    return formatResult(mode, this.columns, rows, { maxRows, maxWidth: width });
  }

  /** The status line; `stopped` leaves out what only matters while running. */
  status(stopped: boolean): string {
    const m = this.metrics();
    const s = this.query?.status() ?? { watermark: null, stateSize: 0 };
    return statusLine({
      eventsPerSecond: this.rate.rate(),
      watermark: s.watermark,
      lateEvents: m.lateEvents,
      // A subscription's own pipeline only reads the view; the state worth watching is the views'.
      stateSize: this.subscribe ? m.stateSize : s.stateSize,
      rows: this.result.size,
      counts: this.result.changeCounts,
      evicted: this.result.evicted,
      stopped,
    });
  }

  private metrics(): { eventsIn: number; lateEvents: number; stateSize: number } {
    try {
      return this.o.engine.metrics();
    } catch {
      return { eventsIn: 0, lateEvents: 0, stateSize: 0 };
    }
  }

  private scheduleRender(): void {
    if (this.stopped || this.tick === undefined || this.renderTimer !== undefined) return;
    const wait = Math.max(0, this.lastRender + this.o.renderMs - this.o.now());
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      if (this.stopped) return;
      this.render();
      this.o.onChange();
    }, wait);
  }

  /** Rebuilds the table from the folded rows, no taller than the screen (ink would clear the scrollback otherwise). */
  private render(): void {
    const now = this.o.now();
    this.lastRender = now;
    const { width, height } = this.o.size();
    const rows = this.result.view(now);
    const columns = [{ name: 'op', type: '' }, ...this.columns];
    const data = rows.map((x) => [x.mark ?? '', ...this.columns.map((c) => x.row[c.name])]);
    const table = formatTable(columns, data, { maxRows: Math.max(2, height - RESERVED_LINES), maxWidth: width });
    const texts = table.split('\n');
    // The footer counts the rows of the result; ghosts of deleted rows are only shown.
    texts[texts.length - 1] = `${groupThousands(this.result.size)} ${this.result.size === 1 ? 'row' : 'rows'}`;
    const lines = texts.map((text) => {
      const m = /^│ (\+I|\+U|-D) /.exec(text);
      return { text, mark: m ? (m[1] as RowMark) : null };
    });
    this.view = { lines, status: this.status(false) };
  }
}
