/**
 * Input history with shell-style up/down navigation, persisted across runs. The file holds
 * one JSON string per line, so a multi-line statement stays one entry and one line, and a
 * torn or hand-edited line costs only itself.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The history file used when none is given: `~/.sluice_history`. */
export function defaultHistoryPath(): string {
  return join(homedir(), '.sluice_history');
}

export interface HistoryOptions {
  /** File to load from and append to; `null` keeps history in memory only. Default `~/.sluice_history`. */
  readonly path?: string | null;
  /** Most entries kept (oldest dropped first). Default 1000. */
  readonly maxEntries?: number;
  /**
   * Called when the file cannot be written. History is a convenience, so a read-only home
   * directory must not break the REPL; the app may show a one-time warning.
   */
  readonly onError?: (err: unknown) => void;
}

/** Decodes the file's lines; anything that is not a JSON string is skipped. */
function parseHistoryFile(content: string): string[] {
  const out: string[] = [];
  for (const line of content.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'string' && v.trim() !== '') out.push(v);
    } catch {
      // A corrupt line (a crash mid-write, a hand edit) is dropped rather than failing the load.
    }
  }
  return out;
}

/**
 * The REPL's history list. Navigation follows bash: `up` from the line being typed saves it
 * as the draft and shows the newest entry; `down` past the newest entry brings the draft
 * back. Edits made to a recalled entry are not kept when moving away from it.
 */
export class History {
  private readonly list: string[] = [];
  private readonly path: string | null;
  private readonly max: number;
  private readonly onError: ((err: unknown) => void) | undefined;
  /** Index into `list` of the entry shown, or `list.length` for the live line. */
  private cursor = 0;
  private draft = '';
  /** Set when the file ends mid-line (a torn write), so the next append does not glue onto that fragment. */
  private needsNewline = false;

  constructor(options: HistoryOptions = {}) {
    this.path = options.path === undefined ? defaultHistoryPath() : options.path;
    this.max = Math.max(1, Math.floor(options.maxEntries ?? 1000));
    this.onError = options.onError;
    if (this.path !== null) this.load(this.path);
  }

  private load(path: string): void {
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch {
      return; // missing or unreadable: start empty
    }
    this.needsNewline = content.length > 0 && !content.endsWith('\n');
    const kept: string[] = [];
    for (const e of parseHistoryFile(content)) if (kept[kept.length - 1] !== e) kept.push(e);
    this.list.push(...kept.slice(-this.max));
    // The file only grows by appends; rewrite it once it holds far more than is kept so it stays small.
    const lines = content.split('\n').filter((l) => l !== '').length;
    if (lines > 2 * this.max) {
      try {
        writeFileSync(path, this.list.map((e) => JSON.stringify(e) + '\n').join(''), { mode: 0o600 });
        this.needsNewline = false;
      } catch (err) {
        this.onError?.(err);
      }
    }
    this.cursor = this.list.length;
  }

  /** The entries, oldest first. */
  get entries(): readonly string[] {
    return this.list;
  }

  /**
   * Records a submitted input (trimmed; a multi-line statement is one entry), appends it to
   * the file, and returns navigation to the live line. Blank input and a repeat of the newest
   * entry are not recorded.
   */
  add(entry: string): void {
    this.resetNavigation();
    const e = entry.trim();
    if (e === '' || this.list[this.list.length - 1] === e) return;
    this.list.push(e);
    if (this.list.length > this.max) this.list.splice(0, this.list.length - this.max);
    this.cursor = this.list.length;
    if (this.path === null) return;
    try {
      // 0o600: statements can hold connection strings and passwords (WITH options).
      appendFileSync(this.path, (this.needsNewline ? '\n' : '') + JSON.stringify(e) + '\n', { mode: 0o600 });
      this.needsNewline = false;
    } catch (err) {
      this.onError?.(err);
    }
  }

  /**
   * Moves to the previous (older) entry. `current` is what the input shows now; it is kept as
   * the draft when leaving the live line. Returns the text to show (unchanged at the oldest
   * entry or with an empty history).
   */
  up(current: string): string {
    if (this.list.length === 0) return current;
    if (this.cursor >= this.list.length) {
      this.draft = current;
      this.cursor = this.list.length;
    }
    if (this.cursor > 0) this.cursor--;
    return this.list[this.cursor]!;
  }

  /** Moves to the next (newer) entry, or back to the draft past the newest. Returns the text to show. */
  down(current: string): string {
    if (this.cursor >= this.list.length) return current;
    this.cursor++;
    return this.cursor === this.list.length ? this.draft : this.list[this.cursor]!;
  }

  /** True when the live line (not a recalled entry) is shown. */
  get atLiveLine(): boolean {
    return this.cursor >= this.list.length;
  }

  /** Returns to the live line and forgets the draft (after submit or Ctrl-C). */
  resetNavigation(): void {
    this.cursor = this.list.length;
    this.draft = '';
  }
}
