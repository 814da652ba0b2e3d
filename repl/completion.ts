/**
 * Tab completion for the REPL: given the text before the cursor and a snapshot of the
 * catalog, which words could come next. A heuristic over tokens, not a parse, so it keeps
 * working on half-typed statements the parser would reject.
 */
import { DOT_COMMANDS, OUTPUT_MODES } from './dot-commands.js';
import { DEFAULT_FUNCTIONS, DEFAULT_KEYWORDS, TABLE_FUNCTIONS } from './keywords.js';
import { isTrivia, lex, type LexToken } from './lexer.js';

export interface CatalogTable {
  readonly name: string;
  readonly columns: readonly string[];
}

/** What the catalog holds, as the app last read it. */
export interface CatalogSnapshot {
  readonly sources: readonly CatalogTable[];
  readonly views: readonly CatalogTable[];
  readonly sinks: readonly string[];
}

export interface CompletionOptions {
  /** Keywords to offer (default: the dialect's, {@link DEFAULT_KEYWORDS}). */
  readonly keywords?: readonly string[];
  /** Function names to offer (default {@link DEFAULT_FUNCTIONS}). */
  readonly functions?: readonly string[];
  /** Dot-commands with their dot (default {@link DOT_COMMANDS}). */
  readonly dotCommands?: readonly string[];
  /**
   * The text after the cursor, if any: a FROM that follows the cursor (editing the select
   * list) still tells which tables' columns to offer.
   */
  readonly textAfterCursor?: string;
}

export interface Completion {
  /** Possible words, sorted case-insensitively, without duplicates. Empty when nothing fits. */
  readonly candidates: string[];
  /** Offset in the text where the word being completed starts. */
  readonly start: number;
  /** The partial word typed so far (`text.slice(start)`). */
  readonly word: string;
  /**
   * The longest prefix every candidate shares (compared case-insensitively, spelled as the
   * first candidate). Applying a completion means replacing `word` with it; this also fixes
   * the case (`BI` + source `bids` → `bids`).
   */
  readonly replacement: string;
  /** What to append at the cursor when only appending: `replacement` minus the typed word. */
  readonly insert: string;
}

/** Columns every window table function adds (SPEC 2.4). */
const WINDOW_COLUMNS = ['window_start', 'window_end', 'window_time'];
const WINDOW_TVFS = new Set(['TUMBLE', 'HOP', 'SESSION', 'CUMULATE']);

function byInsensitiveName(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return '';
  let p = words[0]!;
  for (const w of words) {
    let i = 0;
    while (i < p.length && i < w.length && p[i]!.toLowerCase() === w[i]!.toLowerCase()) i++;
    p = p.slice(0, i);
  }
  return p;
}

function result(text: string, start: number, pool: Iterable<string>): Completion {
  const word = text.slice(start);
  const lw = word.toLowerCase();
  const candidates = [...new Set([...pool].filter((c) => c.toLowerCase().startsWith(lw)))].sort(byInsensitiveName);
  const prefix = commonPrefix(candidates);
  const replacement = prefix.length >= word.length ? prefix : word;
  return { candidates, start, word, replacement, insert: replacement.slice(word.length) };
}

function none(text: string): Completion {
  return { candidates: [], start: text.length, word: '', replacement: '', insert: '' };
}

/** Which case to offer keywords in: the typed word's, or when nothing is typed yet, the last keyword's. */
function keywordCase(word: string, tokens: readonly LexToken[], keywords: ReadonlySet<string>): 'upper' | 'lower' {
  if (/[a-zA-Z]/.test(word)) return word === word.toLowerCase() ? 'lower' : 'upper';
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    if (t.kind === 'word' && keywords.has(t.text.toUpperCase()) && /[a-zA-Z]/.test(t.text)) {
      return t.text === t.text.toLowerCase() ? 'lower' : 'upper';
    }
  }
  return 'upper';
}

/** The name a word or quoted identifier token stands for, and whether it was quoted (case-sensitive). */
function identOf(t: LexToken): { name: string; quoted: boolean } | undefined {
  if (t.kind === 'word') return { name: t.text, quoted: false };
  if (t.kind === 'quotedIdent' && t.closed) return { name: t.text.slice(1, -1).replaceAll('""', '"'), quoted: true };
  return undefined;
}

class Catalog {
  readonly tables: CatalogTable[];

  constructor(snapshot: CatalogSnapshot) {
    this.tables = [...snapshot.sources, ...snapshot.views];
  }

  find(ident: { name: string; quoted: boolean }): CatalogTable | undefined {
    if (ident.quoted) return this.tables.find((t) => t.name === ident.name);
    const lower = ident.name.toLowerCase();
    return this.tables.find((t) => t.name === ident.name) ?? this.tables.find((t) => t.name.toLowerCase() === lower);
  }
}

/** Tables the statement names, and the aliases it gives them (`FROM bids b`, `FROM TUMBLE(bids, …) AS w`). */
function tablesInStatement(tokens: readonly LexToken[], catalog: Catalog, keywords: ReadonlySet<string>) {
  const mentioned = new Set<CatalogTable>();
  const aliases = new Map<string, { table: CatalogTable; windowed: boolean }>();
  let windowed = false;
  const aliasAt = (i: number): string | undefined => {
    let t = tokens[i];
    if (t?.kind === 'word' && t.text.toUpperCase() === 'AS') t = tokens[i + 1];
    if (t === undefined) return undefined;
    if (t.kind === 'word' && keywords.has(t.text.toUpperCase())) return undefined;
    const id = identOf(t);
    return id === undefined ? undefined : id.quoted ? id.name : id.name.toLowerCase();
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'word' && WINDOW_TVFS.has(t.text.toUpperCase()) && tokens[i + 1]?.text === '(') windowed = true;
    const id = identOf(t);
    const table = id && catalog.find(id);
    if (table && tokens[i - 1]?.text !== '.') {
      mentioned.add(table);
      const alias = aliasAt(i + 1);
      if (alias !== undefined) aliases.set(alias, { table, windowed: false });
    }
    if (t.text === ')' && t.kind === 'punct') {
      // An alias after a table function call names its output: the input table plus window columns.
      let depth = 0;
      let open = i;
      for (; open >= 0; open--) {
        const x = tokens[open]!;
        if (x.kind !== 'punct') continue;
        if (x.text === ')') depth++;
        else if (x.text === '(' && --depth === 0) break;
      }
      const fn = tokens[open - 1];
      if (open <= 0 || fn?.kind !== 'word' || !TABLE_FUNCTIONS.includes(fn.text.toUpperCase())) continue;
      const alias = aliasAt(i + 1);
      if (alias === undefined) continue;
      for (let j = open + 1; j < i; j++) {
        const inner = identOf(tokens[j]!);
        const innerTable = inner && catalog.find(inner);
        if (innerTable) {
          aliases.set(alias, { table: innerTable, windowed: fn.text.toUpperCase() !== 'CHANGES' });
          break;
        }
      }
    }
  }
  return { mentioned, aliases, windowed };
}

/** Completion of a dot-command line typed into an empty buffer; undefined when `text` is not one. */
function completeDotCommand(text: string, catalog: Catalog, dotCommands: readonly string[]): Completion | undefined {
  const m = /^\s*(\.\S*)$/.exec(text);
  if (m) return result(text, text.length - m[1]!.length, dotCommands);
  const args = /^\s*\.(\S+)[ \t]+(\S*)$/.exec(text);
  if (!args) return /^\s*\./.test(text) && !text.includes('\n') ? none(text) : undefined;
  const start = text.length - args[2]!.length;
  switch (args[1]!.toLowerCase()) {
    case 'schema':
      return result(text, start, catalog.tables.map((t) => t.name));
    case 'mode':
      return result(text, start, OUTPUT_MODES);
    case 'timer':
      return result(text, start, ['on', 'off']);
    default:
      return none(text);
  }
}

/**
 * Completes the word before the cursor. Rules, first match wins: a `.` line in an empty
 * buffer → dot-commands (and their arguments); inside a string, quoted identifier or comment
 * → nothing; after `name.` → that table's (or alias's) columns; after FROM, JOIN, SUBSCRIBE,
 * DESCRIBE, TABLE, INTO or a window function's `(` → source and view names (plus table
 * functions after FROM/JOIN); otherwise keywords, functions and the columns of the tables the
 * statement names (all columns when it names none). Keywords and functions come in the case
 * being typed; names as stored.
 */
export function complete(text: string, snapshot: CatalogSnapshot, options: CompletionOptions = {}): Completion {
  const catalog = new Catalog(snapshot);
  const keywordList = options.keywords ?? DEFAULT_KEYWORDS;
  const keywords = new Set(keywordList.map((k) => k.toUpperCase()));
  const functions = options.functions ?? DEFAULT_FUNCTIONS;

  const dot = completeDotCommand(text, catalog, options.dotCommands ?? DOT_COMMANDS);
  if (dot) return dot;

  const all = lex(text);
  const last = all[all.length - 1];
  if (last !== undefined && (last.kind === 'lineComment' || !last.closed)) return none(text);
  const typing = last !== undefined && last.kind === 'word' ? last : undefined;
  // Right after a number, string or quoted name there is no word to complete.
  if (last !== undefined && !typing && (last.kind === 'number' || last.kind === 'string' || last.kind === 'quotedIdent')) return none(text);
  const start = typing ? typing.start : text.length;

  let stmtBegin = 0;
  all.forEach((t, i) => {
    if (t.kind === 'punct' && t.text === ';') stmtBegin = i + 1;
  });
  const before = all.slice(stmtBegin, typing ? all.length - 1 : all.length).filter((t) => !isTrivia(t));
  const after: LexToken[] = [];
  for (const t of lex(options.textAfterCursor ?? '')) {
    if (t.kind === 'punct' && t.text === ';') break;
    if (!isTrivia(t)) after.push(t);
  }
  const prev = before[before.length - 1];
  const prev2 = before[before.length - 2];
  const up = (t: LexToken | undefined): string => (t?.kind === 'word' ? t.text.toUpperCase() : (t?.text ?? ''));
  const kwCase = keywordCase(typing?.text ?? '', before, keywords);
  const inCase = (words: readonly string[]): string[] => words.map((w) => (kwCase === 'lower' ? w.toLowerCase() : w.toUpperCase()));
  const tableNames = catalog.tables.map((t) => t.name);

  if (prev?.kind === 'punct' && prev.text === '.') {
    const q = prev2 && identOf(prev2);
    if (!q) return none(text);
    const { aliases } = tablesInStatement([...before, ...after], catalog, keywords);
    const key = q.quoted ? q.name : q.name.toLowerCase();
    const aliased = aliases.get(key);
    if (aliased) return result(text, start, [...aliased.table.columns, ...(aliased.windowed ? WINDOW_COLUMNS : [])]);
    const table = catalog.find(q);
    return table ? result(text, start, table.columns) : result(text, start, []);
  }

  const p = up(prev);
  if (p === 'FROM' || p === 'JOIN') return result(text, start, [...tableNames, ...inCase(TABLE_FUNCTIONS)]);
  if (p === 'SUBSCRIBE' || p === 'DESCRIBE' || p === 'TABLE') return result(text, start, tableNames);
  if (p === 'INTO') return result(text, start, snapshot.sources.map((t) => t.name));
  if (p === '(') {
    const fn = up(prev2);
    if (fn === 'TABLE') return result(text, start, inCase([...WINDOW_TVFS]));
    if (WINDOW_TVFS.has(fn) || fn === 'CHANGES') return result(text, start, tableNames);
  }
  // Only statements that act on an existing object; after CREATE a new name is typed.
  const p2 = up(prev2);
  const acting = (w: string): boolean => w === 'DROP' || w === 'ALTER' || w === 'REBUILD';
  if (acting(p2) || (p2 === 'MATERIALIZED' && acting(up(before[before.length - 3])))) {
    if (p === 'SOURCE') return result(text, start, snapshot.sources.map((t) => t.name));
    if (p === 'VIEW') return result(text, start, snapshot.views.map((t) => t.name));
    if (p === 'SINK') return result(text, start, snapshot.sinks);
  }

  const { mentioned, windowed } = tablesInStatement([...before, ...after], catalog, keywords);
  const sourceTables = mentioned.size > 0 ? [...mentioned] : catalog.tables;
  const columns = sourceTables.flatMap((t) => t.columns);
  if (windowed) columns.push(...WINDOW_COLUMNS);
  return result(text, start, [...inCase(keywordList), ...inCase(functions), ...columns]);
}
