/**
 * The interactive session: everything the REPL does between a key press and the screen,
 * without ink. It owns the line editor, the statement splitter, history and completion,
 * runs what the user enters (SQL through the shell, streaming queries as live results),
 * and publishes an immutable snapshot for the ink components to draw. Tests drive it with
 * key events and read its snapshots.
 *
 * Phases: `prompt` (editing), `busy` (a statement runs; keys typed meanwhile are kept and
 * replayed, as a terminal's type-ahead), `live` (a live result is shown; Ctrl-C, Esc or `q`
 * stops it), `closed` (after `.quit` or Ctrl-D).
 */
import { KEYWORDS, parseStatement } from '../grammar/index.js';
import type { Statement } from '../grammar/ast.js';
import { complete, type CatalogSnapshot } from './completion.js';
import { candidateLines, catalogSnapshot } from './completion-list.js';
import type { HighlightSegment } from './highlight.js';
import type { History } from './history.js';
import { layoutInput, type InputLayout, type InputRow } from './input-layout.js';
import type { KeyEvent } from './keys.js';
import { EMPTY_EDITOR, editLine, editorWith, splice, type EditorState } from './line-editor.js';
import { LiveRun, type LiveView } from './live-run.js';
import { Shell, type ReplEngine, type Tone } from './shell.js';
import { StatementSplitter, type SplitItem } from './statement-splitter.js';

/** One finished piece of output; it never changes once shown (ink's `<Static>` draws it once). */
export type OutputEntry =
  | { readonly id: number; readonly kind: 'text'; readonly tone: Tone; readonly text: string }
  /** The input as it was entered, with its prompt and highlighting. */
  | { readonly id: number; readonly kind: 'echo'; readonly rows: readonly InputRow[] };

export type { LiveLine, LiveView } from './live-run.js';

export type Phase = 'prompt' | 'busy' | 'live' | 'closed';

/** What the screen shows, besides the finished output. */
export interface SessionSnapshot {
  readonly output: readonly OutputEntry[];
  readonly phase: Phase;
  /** The prompt and input (null unless at the prompt). */
  readonly input: InputLayout | null;
  /** Completion candidates, laid out in lines under the prompt. */
  readonly completions: readonly string[];
  readonly live: LiveView | null;
  /** A statement has been running for a while: show that it runs. */
  readonly running: boolean;
}

export interface SessionOptions {
  readonly engine: ReplEngine;
  readonly history: History;
  /** Terminal size in cells. */
  readonly width?: number;
  readonly height?: number;
  /** Called once when the session ends (`.quit`, Ctrl-D). */
  readonly onExit?: () => void;
  /** Printed first (the welcome line). */
  readonly banner?: string;
  /** Clock in ms (tests may pass their own). */
  readonly now?: () => number;
  /** Shortest time between two renders of a live result, in ms (default 100). */
  readonly liveRenderMs?: number;
  /** How often the live status line is refreshed, in ms (default 250). */
  readonly liveTickMs?: number;
  /** How long a changed row of a live result stays marked, in ms (default 1500). */
  readonly flashMs?: number;
}

/** Most result rows printed before the middle is left out. */
export const MAX_RESULT_ROWS = 40;
/** How long a statement runs before "running…" is shown, in ms. */
const RUNNING_NOTE_MS = 300;

export const EXIT_HINT = '(To exit, press Ctrl-D or type .quit)';

export class Session {
  readonly shell: Shell;
  private readonly engine: ReplEngine;
  private readonly history: History;
  private readonly splitter = new StatementSplitter();
  private readonly now: () => number;
  private readonly liveRenderMs: number;
  private readonly liveTickMs: number;
  private readonly flashMs: number;
  private width: number;
  private height: number;

  private phase: Phase = 'prompt';
  private editor: EditorState = EMPTY_EDITOR;
  /** Lines entered for the statement being typed, for its history entry. */
  private entryLines: string[] = [];
  private completions: string[] = [];
  /** Keys typed while a statement runs, replayed at the next prompt. */
  private queue: KeyEvent[] = [];
  private output: OutputEntry[] = [];
  private nextId = 0;
  /** The live result on screen, and how to tell its statement that it has ended. */
  private live: { readonly run: LiveRun; readonly done: () => void } | undefined;
  /** Live runs being finished (Ctrl-C and the end of input can race). */
  private readonly finishing = new WeakSet<LiveRun>();
  private running = false;
  private runningTimer: ReturnType<typeof setTimeout> | undefined;
  private interruptNoted = false;

  private snapshot: SessionSnapshot | undefined;
  private readonly listeners = new Set<() => void>();
  private idleWaiters: (() => void)[] = [];
  private onExit: (() => void) | undefined;

  constructor(options: SessionOptions) {
    this.engine = options.engine;
    this.history = options.history;
    this.width = options.width ?? 80;
    this.height = options.height ?? 24;
    this.now = options.now ?? (() => Date.now());
    this.liveRenderMs = options.liveRenderMs ?? 100;
    this.liveTickMs = options.liveTickMs ?? 250;
    this.flashMs = options.flashMs ?? 1500;
    this.onExit = options.onExit;
    this.shell = new Shell({
      engine: options.engine,
      output: { print: (text, tone) => this.print(text, tone) },
      table: () => ({ maxRows: MAX_RESULT_ROWS, maxWidth: this.width }),
    });
    if (options.banner !== undefined) this.print(options.banner, 'info');
  }

  // ---------------------------------------------------------------------------------------
  // The view's side: snapshots and subscription (shaped for React's useSyncExternalStore)
  // ---------------------------------------------------------------------------------------

  /** Registers a listener called after every change; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The current snapshot; the same object until something changes. */
  getSnapshot = (): SessionSnapshot => {
    this.snapshot ??= {
      output: this.output,
      phase: this.phase,
      input: this.phase === 'prompt' ? layoutInput({ state: this.editor, pending: this.splitter.pending, width: this.width, keywords: KEYWORDS }) : null,
      completions: this.phase === 'prompt' ? candidateLines(this.completions, this.width) : [],
      live: this.phase === 'live' ? (this.live?.run.view ?? null) : null,
      running: this.phase === 'busy' && this.running,
    };
    return this.snapshot;
  };

  /** Sets the function called when the session ends (the app unmounts ink there). */
  setOnExit(f: () => void): void {
    this.onExit = f;
  }

  /** The terminal was resized. */
  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.live?.run.refresh();
    this.changed();
  }

  /** Resolves when no statement is running and no typed key waits (at the prompt, in a live result, or closed). */
  idle(): Promise<void> {
    if (this.phase !== 'busy' && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** What the session is doing now. */
  get currentPhase(): Phase {
    return this.phase;
  }

  private changed(): void {
    this.snapshot = undefined;
    if (this.phase !== 'busy' && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    for (const l of this.listeners) l();
  }

  /** Prints a note from outside the session (the app's warnings). */
  note(text: string, tone: Tone = 'info'): void {
    this.print(text, tone);
  }

  private print(text: string, tone: Tone): void {
    // A new array each time: ink's <Static> renders the items it has not seen yet.
    this.output = [...this.output, { id: this.nextId++, kind: 'text', tone, text }];
    this.changed();
  }

  private echo(text: string, pending: string, suffix = ''): void {
    const rows = [...layoutInput({ state: editorWith(text), pending, width: this.width, keywords: KEYWORDS }).rows];
    if (suffix !== '') {
      const last = rows[rows.length - 1]!;
      const segments: HighlightSegment[] = [...last.segments, { text: suffix, kind: 'plain' }];
      rows[rows.length - 1] = { prompt: last.prompt, segments };
    }
    this.output = [...this.output, { id: this.nextId++, kind: 'echo', rows }];
  }

  // ---------------------------------------------------------------------------------------
  // Keys
  // ---------------------------------------------------------------------------------------

  /** Handles one key event in whatever phase the session is in. */
  handleKey(key: KeyEvent): void {
    switch (this.phase) {
      case 'closed':
        return;
      case 'live':
        return this.liveKey(key);
      case 'busy':
        if (key.kind === 'interrupt') {
          // A statement cannot be cancelled midway in the engine; Ctrl-C skips everything after it instead.
          this.queue = [];
          this.shell.interrupted = true;
          if (!this.interruptNoted) this.print('(interrupted: the running statement finishes, the rest is skipped)', 'info');
          this.interruptNoted = true;
        } else {
          this.queue.push(key);
        }
        return;
      case 'prompt':
        this.promptKey(key);
        return;
    }
  }

  /** Handles several key events in order. */
  handleKeys(keys: readonly KeyEvent[]): void {
    for (const k of keys) this.handleKey(k);
  }

  private promptKey(key: KeyEvent): void {
    if (key.kind !== 'tab') this.completions = [];
    switch (key.kind) {
      case 'enter':
        this.submit();
        return;
      case 'tab':
        this.complete();
        break;
      case 'up':
        this.editor = editorWith(this.history.up(this.editor.text));
        break;
      case 'down':
        this.editor = editorWith(this.history.down(this.editor.text));
        break;
      case 'interrupt':
        this.interrupt();
        break;
      case 'eof':
        if (this.editor.text === '' && this.splitter.isEmpty) {
          void this.quit();
          return;
        }
        this.editor = editLine(this.editor, { kind: 'delete' });
        break;
      case 'escape':
        break;
      default:
        this.editor = editLine(this.editor, key);
    }
    this.changed();
  }

  private interrupt(): void {
    if (this.editor.text === '' && this.splitter.isEmpty) {
      this.echo('', '');
      this.print(EXIT_HINT, 'info');
      return;
    }
    this.echo(this.editor.text, this.splitter.pending, '^C');
    this.splitter.reset();
    this.entryLines = [];
    this.editor = EMPTY_EDITOR;
    this.history.resetNavigation();
  }

  private complete(): void {
    const { text, cursor } = this.editor;
    const pending = this.splitter.pending;
    const prefix = pending === '' ? '' : pending + '\n';
    let snapshot: CatalogSnapshot;
    try {
      snapshot = catalogSnapshot(this.engine);
    } catch {
      snapshot = { sources: [], views: [], sinks: [] };
    }
    const c = complete(prefix + text.slice(0, cursor), snapshot, { keywords: KEYWORDS, textAfterCursor: text.slice(cursor) });
    const start = c.start - prefix.length;
    if (c.candidates.length === 0 || start < 0) return;
    if (c.replacement !== c.word) this.editor = splice(this.editor, start, cursor, c.replacement);
    this.completions = c.candidates.length > 1 ? c.candidates : [];
  }

  private submit(): void {
    const line = this.editor.text;
    const pending = this.splitter.pending;
    this.echo(line, pending);
    this.editor = EMPTY_EDITOR;
    const fed = this.splitter.feed(line);
    this.entryLines.push(line);
    if (fed.complete) {
      this.history.add(this.entryLines.join('\n'));
      this.entryLines = [];
    } else {
      this.history.resetNavigation();
    }
    if (fed.statements.length === 0) {
      this.changed();
      return;
    }
    this.run(fed.statements);
  }

  private drainQueue(): void {
    while (this.phase === 'prompt' && this.queue.length > 0) this.promptKey(this.queue.shift()!);
  }

  // ---------------------------------------------------------------------------------------
  // Running statements
  // ---------------------------------------------------------------------------------------

  private setBusy(): void {
    this.phase = 'busy';
    this.interruptNoted = false;
    this.running = false;
    clearTimeout(this.runningTimer);
    this.runningTimer = setTimeout(() => {
      this.running = true;
      if (this.phase === 'busy') this.changed();
    }, RUNNING_NOTE_MS);
  }

  private clearBusy(next: Phase): void {
    clearTimeout(this.runningTimer);
    this.running = false;
    this.phase = next;
  }

  private run(items: readonly SplitItem[]): void {
    this.setBusy();
    this.shell.interrupted = false;
    this.changed();
    void (async () => {
      for (const item of items) {
        if (this.shell.quitRequested || this.shell.interrupted || this.currentPhase === 'closed') break;
        try {
          await this.runItem(item);
        } catch (e) {
          this.shell.printError(e);
        }
      }
      if (this.shell.quitRequested) {
        await this.quit();
        return;
      }
      if (this.currentPhase === 'closed') return;
      this.clearBusy('prompt');
      this.drainQueue();
      this.changed();
    })();
  }

  private async runItem(item: SplitItem): Promise<void> {
    if (item.kind === 'dot') {
      await this.shell.runDot(item.text);
      return;
    }
    let statement: Statement;
    try {
      statement = parseStatement(item.text);
    } catch (e) {
      this.shell.printError(e, item.text);
      return;
    }
    if (statement.kind === 'QueryStatement' || statement.kind === 'Subscribe') {
      if (await this.runLive(item.text, statement)) return;
    }
    await this.shell.runSql(item.text);
  }

  /**
   * Shows a continuous query as a live table until the user stops it. A SELECT whose inputs
   * all end (files, a SELECT without FROM) finishes by itself at end of input, leaving its
   * final table; SUBSCRIBE always waits for Ctrl-C. Returns false for a pull query, which
   * the caller runs with execute.
   */
  private async runLive(text: string, statement: Statement): Promise<boolean> {
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    let run: LiveRun | undefined;
    try {
      run = await LiveRun.start({
        engine: this.engine,
        text,
        statement,
        now: this.now,
        renderMs: this.liveRenderMs,
        tickMs: this.liveTickMs,
        flashMs: this.flashMs,
        size: () => ({ width: this.width, height: this.height }),
        onChange: () => this.changed(),
        onEndOfInput: () => void this.finishLive(run!, 'end of input', done),
      });
    } catch (e) {
      this.shell.printError(e, text);
      return true;
    }
    if (!run) return false;
    if (run.endedInput) {
      // Nothing to watch (a SELECT without FROM, inputs already read): print it as a plain result.
      await this.finishLive(run, 'end of input', done, false);
    } else {
      this.live = { run, done };
      this.clearBusy('live');
      run.show();
      this.changed();
    }
    await finished;
    return true;
  }

  private liveKey(key: KeyEvent): void {
    const live = this.live;
    if (!live) return;
    const stop = key.kind === 'interrupt' || key.kind === 'escape' || key.kind === 'eof' || (key.kind === 'text' && key.text.toLowerCase() === 'q');
    if (stop) void this.finishLive(live.run, 'stopped', live.done);
  }

  /** Stops a live result and leaves its last table (and a summary, when it was shown live) in the output. */
  private async finishLive(run: LiveRun, why: 'stopped' | 'end of input', done: () => void, summary = true): Promise<void> {
    if (this.finishing.has(run)) return;
    this.finishing.add(run);
    if (this.phase === 'live') {
      this.setBusy();
      this.changed();
    }
    try {
      await run.stop();
    } catch (e) {
      this.shell.printError(e);
    }
    const text = run.finalText(this.shell.state.mode, MAX_RESULT_ROWS, this.width);
    if (text !== '') this.print(text, 'result');
    if (summary) this.print(`(${why}) ${run.status(true)}`, 'message');
    if (this.live?.run === run) this.live = undefined;
    done();
  }

  // ---------------------------------------------------------------------------------------
  // Ending
  // ---------------------------------------------------------------------------------------

  /** Ends the session: stops a live result, then calls onExit (the caller closes the engine). */
  async quit(): Promise<void> {
    if (this.phase === 'closed') return;
    const live = this.live;
    this.live = undefined;
    this.clearBusy('closed');
    this.queue = [];
    if (live) {
      await live.run.stop().catch(() => undefined);
      live.done();
    }
    this.changed();
    this.onExit?.();
  }

  /** Releases timers and stops a live query without ending the session formally (ink unmounted). */
  dispose(): void {
    clearTimeout(this.runningTimer);
    void this.live?.run.stop().catch(() => undefined);
  }
}
