/**
 * The REPL's dot-commands, as in the DuckDB and SQLite shells: parsing one command line,
 * and dispatching it to the app through {@link DotCommandHandler}. Kept free of ink and of
 * the engine so it can be tested with a fake handler.
 */

/** How query results are printed. */
export type OutputMode = 'table' | 'jsonl' | 'csv';

export const OUTPUT_MODES: readonly OutputMode[] = ['table', 'jsonl', 'csv'];

/** The REPL settings dot-commands change. */
export interface ReplState {
  readonly mode: OutputMode;
  /** Print the elapsed time after each statement. */
  readonly timer: boolean;
}

export const INITIAL_REPL_STATE: ReplState = { mode: 'table', timer: false };

/** A parsed dot-command; `args` are already validated for the command. */
export type DotCommand =
  | { readonly name: 'help'; readonly args: readonly [] }
  | { readonly name: 'sources'; readonly args: readonly [] }
  | { readonly name: 'views'; readonly args: readonly [] }
  | { readonly name: 'sinks'; readonly args: readonly [] }
  | { readonly name: 'schema'; readonly args: readonly [name: string] }
  | { readonly name: 'mode'; readonly args: readonly [mode: OutputMode] }
  | { readonly name: 'timer'; readonly args: readonly [on: boolean] }
  | { readonly name: 'read'; readonly args: readonly [path: string] }
  | { readonly name: 'checkpoint'; readonly args: readonly [] }
  | { readonly name: 'quit'; readonly args: readonly [] };

export type DotCommandName = DotCommand['name'];

/** A dot-command that could not be parsed, with the message to print. */
export interface DotCommandError {
  readonly error: string;
}

/** One entry of the command table: what `.help` prints and what completion offers. */
export interface DotCommandInfo {
  readonly name: DotCommandName;
  /** The spelling shown in `.help`, with its arguments. */
  readonly usage: string;
  readonly description: string;
}

/** Every command in `.help` order. */
export const DOT_COMMAND_INFO: readonly DotCommandInfo[] = [
  { name: 'help', usage: '.help', description: 'Show this list of commands' },
  { name: 'sources', usage: '.sources', description: 'List the sources' },
  { name: 'views', usage: '.views', description: 'List the views (materialized and not)' },
  { name: 'sinks', usage: '.sinks', description: 'List the sinks' },
  { name: 'schema', usage: '.schema NAME', description: 'Show the definition of a source, view or sink' },
  { name: 'mode', usage: '.mode table|jsonl|csv', description: 'Set how results are printed' },
  { name: 'timer', usage: '.timer on|off', description: 'Show the time each statement takes' },
  { name: 'read', usage: '.read FILE.sql', description: 'Run the statements in a file' },
  { name: 'checkpoint', usage: '.checkpoint', description: 'Write a checkpoint of all state now' },
  { name: 'quit', usage: '.quit', description: 'Exit the REPL (also .exit or Ctrl-D)' },
];

/** Every spelling the completer offers, with the dot. */
export const DOT_COMMANDS: readonly string[] = [...DOT_COMMAND_INFO.map((c) => '.' + c.name), '.exit'].sort();

const ALIASES: Readonly<Record<string, DotCommandName>> = { exit: 'quit' };

/**
 * Splits a command's argument text into words; single or double quotes group a word with
 * blanks (`.read 'my file.sql'`), and a doubled quote inside stands for itself.
 */
function splitArgs(text: string): string[] | DotCommandError {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const q = text[i];
    if (q === "'" || q === '"') {
      let word = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return { error: `unterminated quote in arguments: ${text.trim()}` };
        if (text[j] === q) {
          if (text[j + 1] === q) {
            word += q;
            j += 2;
            continue;
          }
          break;
        }
        word += text[j];
        j++;
      }
      args.push(word);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j]!)) j++;
      args.push(text.slice(i, j));
      i = j;
    }
  }
  return args;
}

/**
 * Parses a dot-command line such as `.mode csv`. The command name is case-insensitive and a
 * trailing `;` is ignored (SQL habit). Returns `{ error }` with a one-line message for an
 * unknown command or bad arguments.
 */
export function parseDotCommand(line: string): DotCommand | DotCommandError {
  let text = line.trim();
  if (!text.startsWith('.')) return { error: `not a dot-command: ${text}` };
  text = text.replace(/\s*;+$/, '');
  const m = /^\.(\S*)\s*([\s\S]*)$/.exec(text)!;
  const typed = m[1]!;
  const lower = typed.toLowerCase();
  const known = DOT_COMMAND_INFO.find((c) => c.name === lower);
  const name = known ? known.name : ALIASES[lower];
  if (name === undefined) {
    return { error: typed === '' ? 'missing command after ".": try .help' : `unknown command .${typed}: try .help` };
  }
  const args = splitArgs(m[2]!);
  if ('error' in args) return args;
  const spelled = '.' + lower;
  switch (name) {
    case 'help':
    case 'sources':
    case 'views':
    case 'sinks':
    case 'checkpoint':
    case 'quit':
      if (args.length > 0) return { error: `${spelled} takes no arguments` };
      return { name, args: [] };
    case 'schema':
      if (args.length !== 1) return { error: '.schema expects one name: .schema NAME' };
      return { name, args: [args[0]!] };
    case 'read':
      if (args.length !== 1) return { error: '.read expects one file name: .read FILE.sql' };
      return { name, args: [args[0]!] };
    case 'mode': {
      const mode = args.length === 1 ? OUTPUT_MODES.find((x) => x === args[0]!.toLowerCase()) : undefined;
      if (mode === undefined) return { error: '.mode expects table, jsonl or csv' };
      return { name, args: [mode] };
    }
    case 'timer': {
      const v = args.length === 1 ? args[0]!.toLowerCase() : '';
      if (v !== 'on' && v !== 'off') return { error: '.timer expects on or off' };
      return { name, args: [v === 'on'] };
    }
  }
}

/** The text `.help` prints: one line per command, descriptions aligned. */
export function helpText(): string {
  const width = Math.max(...DOT_COMMAND_INFO.map((c) => c.usage.length));
  return DOT_COMMAND_INFO.map((c) => `${c.usage.padEnd(width)}  ${c.description}`).join('\n');
}

type MaybePromise<T> = T | Promise<T>;

/** What the app provides for the dot-commands to act on. */
export interface DotCommandHandler {
  /** Names of the sources, in the order to print them. */
  listSources(): MaybePromise<readonly string[]>;
  /** Names of the views (materialized and not). */
  listViews(): MaybePromise<readonly string[]>;
  listSinks(): MaybePromise<readonly string[]>;
  /** The definition of a source, view or sink as text (e.g. its CREATE statement), or undefined when no such object exists. */
  describe(name: string): MaybePromise<string | undefined>;
  setMode(mode: OutputMode): MaybePromise<void>;
  setTimer(on: boolean): MaybePromise<void>;
  /** Runs the file's statements; may return text to print (or print as it goes and return nothing). */
  readFile(path: string): MaybePromise<string | void>;
  checkpoint(): MaybePromise<void>;
  quit(): MaybePromise<void>;
}

function listing(names: readonly string[], what: string): string {
  return names.length === 0 ? `(no ${what})` : names.join('\n');
}

/**
 * Runs a parsed command against the app and returns the text to print ('' for commands
 * that only change a setting, as the DuckDB shell is silent there). Errors thrown by the
 * handler (a missing `.read` file, an engine error) propagate to the caller, which renders
 * them like any other error.
 */
export async function runDotCommand(cmd: DotCommand, handler: DotCommandHandler): Promise<string> {
  switch (cmd.name) {
    case 'help':
      return helpText();
    case 'sources':
      return listing(await handler.listSources(), 'sources');
    case 'views':
      return listing(await handler.listViews(), 'views');
    case 'sinks':
      return listing(await handler.listSinks(), 'sinks');
    case 'schema': {
      const text = await handler.describe(cmd.args[0]);
      return text ?? `no source, view or sink named ${cmd.args[0]}`;
    }
    case 'mode':
      await handler.setMode(cmd.args[0]);
      return '';
    case 'timer':
      await handler.setTimer(cmd.args[0]);
      return '';
    case 'read':
      return (await handler.readFile(cmd.args[0])) ?? '';
    case 'checkpoint':
      await handler.checkpoint();
      return '';
    case 'quit':
      await handler.quit();
      return '';
  }
}

/** The settings after `cmd` (unchanged for commands that do not touch them); for a React reducer. */
export function applyToState(state: ReplState, cmd: DotCommand): ReplState {
  if (cmd.name === 'mode') return { ...state, mode: cmd.args[0] };
  if (cmd.name === 'timer') return { ...state, timer: cmd.args[0] };
  return state;
}
