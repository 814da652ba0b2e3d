/**
 * The shell without a screen: runs SQL statements through `execute`, dot-commands, and
 * scripts (`.read`, piped stdin), and prints through an output the caller provides. The
 * interactive session adds the line editor and live results on top; piped stdin uses it
 * as it is, so both print the same way.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseStatement } from '../grammar/index.js';
import type { Engine, StatementResult } from '../src/engine/engine.js';
import { renderError, SluiceError, toSluiceError } from '../src/errors.js';
import { applyToState, INITIAL_REPL_STATE, parseDotCommand, runDotCommand, type DotCommandHandler, type ReplState } from './dot-commands.js';
import { formatTable, type TableOptions } from './format.js';
import { resultText, rowArrays, timerText } from './result-text.js';
import { splitStatements } from './statement-splitter.js';

/** The part of the engine the REPL uses (a fake can stand in for it in tests). */
export type ReplEngine = Pick<Engine, 'execute' | 'live' | 'describeCatalog' | 'metrics' | 'checkpoint'>;

/**
 * What a printed text is: a result (tables, listings), a message from a statement without
 * rows (`created source bids`), an error, or a note from the shell itself.
 */
export type Tone = 'result' | 'message' | 'error' | 'info';

export interface ShellOutput {
  print(text: string, tone: Tone): void;
}

export interface ShellOptions {
  readonly engine: ReplEngine;
  readonly output: ShellOutput;
  /** Limits for printed tables, asked for each result (the terminal may have been resized). */
  readonly table: () => TableOptions;
  /** A clock in ms for `.timer` (default `performance.now`). */
  readonly clock?: () => number;
}

/** Where a statement came from, so errors point into the file rather than into the statement. */
export interface SqlOrigin {
  /** Folder that relative paths in the statement resolve against. */
  readonly baseDir?: string;
  /** 1-based line and column of the statement's first character in its file. */
  readonly line?: number;
  readonly column?: number;
}

/** `.read` inside `.read` deeper than this is refused (a file reading itself would never end). */
const MAX_READ_DEPTH = 16;

/** Thrown by `.read` after the failing statement's error has been printed, to stop the scripts around it. */
class ScriptFailed extends Error {}

/** `name` as a quoted identifier, so any stored name reads back exactly. */
export function quoteIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

/**
 * Pads a statement with the line breaks and blanks that preceded it in its file, so the
 * line and column of an error (and the line the caret is drawn under) are the file's.
 */
export function atFilePosition(text: string, origin: SqlOrigin): string {
  const line = origin.line ?? 1;
  const column = origin.column ?? 1;
  return '\n'.repeat(Math.max(0, line - 1)) + ' '.repeat(Math.max(0, column - 1)) + text;
}

export class Shell {
  /** Output mode and timer, as the dot-commands set them. */
  state: ReplState = INITIAL_REPL_STATE;
  /** Set by `.quit`; scripts stop and the caller exits. */
  quitRequested = false;
  /** Set by Ctrl-C while a script runs: the statement running finishes, the rest is skipped. */
  interrupted = false;
  private readonly engine: ReplEngine;
  private readonly out: ShellOutput;
  private readonly clock: () => number;
  /**
   * CREATE statements run in this session by object name (lower case), for `.schema`: the
   * engine's catalog does not hand out its SQL text.
   */
  private readonly definitions = new Map<string, string>();
  private readDepth = 0;
  private baseDir: string | undefined;

  constructor(private readonly options: ShellOptions) {
    this.engine = options.engine;
    this.out = options.output;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Prints an error as the CLI does: category, message, and the line with a caret. */
  printError(err: unknown, sql?: string): void {
    this.out.print(renderError(toSluiceError(err), sql), 'error');
  }

  /** Prints a statement's result: its rows in the current mode, or its message. */
  printResult(r: StatementResult): void {
    const text = resultText(r, this.state.mode, this.options.table());
    if (text !== '') this.out.print(text, 'result');
    else if (r.message !== undefined) this.out.print(r.message, 'message');
  }

  /** Runs one SQL statement with `execute` and prints what it returns; false when it failed (the error is printed). */
  async runSql(text: string, origin: SqlOrigin = {}): Promise<boolean> {
    const sql = origin.line !== undefined || origin.column !== undefined ? atFilePosition(text, origin) : text;
    const started = this.clock();
    try {
      const results = await this.engine.execute(sql, { baseDir: origin.baseDir });
      for (const r of results) {
        this.printResult(r);
        this.remember(r, text);
      }
      if (this.state.timer) this.out.print(timerText(this.clock() - started), 'info');
      return true;
    } catch (e) {
      this.printError(e, sql);
      return false;
    }
  }

  /** Runs a dot-command line; false when it failed (the error is printed). */
  async runDot(line: string, baseDir?: string): Promise<boolean> {
    const cmd = parseDotCommand(line);
    if ('error' in cmd) {
      this.out.print(cmd.error, 'error');
      return false;
    }
    const saved = this.baseDir;
    this.baseDir = baseDir;
    try {
      const text = await runDotCommand(cmd, this.handler);
      this.state = applyToState(this.state, cmd);
      if (text !== '') this.out.print(text, 'result');
      if (cmd.name === 'checkpoint') this.out.print('checkpoint written', 'message');
      return true;
    } catch (e) {
      if (!(e instanceof ScriptFailed)) this.printError(e);
      return false;
    } finally {
      this.baseDir = saved;
    }
  }

  /**
   * Runs a script (a `.read` file or piped stdin) statement by statement, printing each
   * result as it comes. Stops at the first error, as `duckdb < script.sql` does, and at `.quit`.
   */
  async runScript(text: string, baseDir: string): Promise<boolean> {
    for (const item of splitStatements(text)) {
      if (this.quitRequested) break;
      if (this.interrupted) return false;
      const ok =
        item.kind === 'dot'
          ? await this.runDot(item.text, baseDir)
          : await this.runSql(item.text, { baseDir, line: item.line, column: item.column });
      if (!ok) return false;
    }
    return true;
  }

  /** The `.schema` text: the CREATE statement when known, and the columns with their types. */
  async describe(name: string): Promise<string | undefined> {
    const cat = this.engine.describeCatalog();
    const lower = name.toLowerCase();
    const pick = <T extends { name: string }>(list: readonly T[]): T | undefined =>
      list.find((x) => x.name === name) ?? list.find((x) => x.name.toLowerCase() === lower);
    const entry = pick(cat.sources) ?? pick(cat.views);
    const sink = entry ? undefined : pick(cat.sinks);
    if (!entry && !sink) return lower.startsWith('sluice_') ? this.describeSystemTable(lower) : undefined;
    const found = (entry ?? sink)!;
    // A later engine may hand out the stored SQL in describeCatalog; prefer it when present.
    const stored = (found as { sql?: unknown }).sql;
    const sql = typeof stored === 'string' ? stored : this.definitions.get(found.name.toLowerCase());
    const parts: string[] = [];
    if (sql !== undefined) parts.push(sql.trimEnd().replace(/;*$/, ';'));
    if (sink) {
      if (sql === undefined) parts.push(`sink ${sink.name} from ${sink.from}`);
      return parts.join('\n');
    }
    const [r] = await this.engine.execute(`DESCRIBE ${quoteIdent(found.name)}`);
    if (r?.columns && r.rows) parts.push(formatTable(r.columns, rowArrays(r.columns, r.rows), { maxRows: Infinity, maxWidth: this.options.table().maxWidth }));
    return parts.join('\n');
  }

  /** The columns of one of the engine's own tables (system tables are not in the catalog). */
  private async describeSystemTable(name: string): Promise<string | undefined> {
    const r = await this.engine
      .execute(`DESCRIBE ${quoteIdent(name)}`)
      .then(([x]) => x)
      .catch(() => undefined);
    if (!r?.columns || !r.rows) return undefined;
    return formatTable(r.columns, rowArrays(r.columns, r.rows), { maxRows: Infinity, maxWidth: this.options.table().maxWidth });
  }

  /** Keeps the text of CREATE statements that took effect, and forgets dropped objects. */
  private remember(r: StatementResult, text: string): void {
    if (!/^(CREATE|DROP)/.test(r.statement) || r.message === undefined || !/^(created|replaced|dropped) /.test(r.message)) return;
    try {
      const s = parseStatement(text);
      if (s.kind === 'CreateSource' || s.kind === 'CreateView' || s.kind === 'CreateSink') {
        this.definitions.set(s.name.name.toLowerCase(), text);
      } else if (s.kind === 'Drop') {
        this.definitions.delete(s.name.name.toLowerCase());
      }
    } catch {
      // The engine accepted it, so it parses; if it does not, there is simply nothing to remember.
    }
  }

  private readonly handler: DotCommandHandler = {
    listSources: () => this.engine.describeCatalog().sources.map((s) => s.name),
    listViews: () => this.engine.describeCatalog().views.map((v) => (v.materialized ? `${v.name} (materialized)` : v.name)),
    listSinks: () => this.engine.describeCatalog().sinks.map((s) => `${s.name} (from ${s.from})`),
    describe: (name) => this.describe(name),
    setMode: () => undefined,
    setTimer: () => undefined,
    readFile: async (path) => {
      if (this.readDepth >= MAX_READ_DEPTH) throw new SluiceError('ARGUMENT', `.read nested more than ${MAX_READ_DEPTH} deep: does a file read itself?`);
      const file = resolve(this.baseDir ?? process.cwd(), path);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new SluiceError('ARGUMENT', `cannot read '${path}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message}`);
      }
      this.readDepth++;
      try {
        if (!(await this.runScript(text, dirname(file)))) {
          this.out.print(this.interrupted ? `stopped reading ${path}: interrupted` : `stopped reading ${path} at the error above`, 'info');
          throw new ScriptFailed();
        }
      } finally {
        this.readDepth--;
      }
    },
    checkpoint: () => this.engine.checkpoint(),
    quit: () => {
      this.quitRequested = true;
    },
  };
}
