/**
 * Splits SQL text into statements at top-level `;` — the REPL's "is this input finished?"
 * test and the front end of `.read` and piped stdin. It only understands what can hide a
 * `;` (strings, quoted identifiers, comments) and dot-command lines; everything else is
 * left to the parser.
 */
import { isTrivia, nextToken } from './lexer.js';

/** One unit of input: an SQL statement (without its `;`) or a dot-command line. */
export interface SplitItem {
  readonly kind: 'sql' | 'dot';
  /** The statement without its `;`, without leading blanks and comments, trailing blanks trimmed. */
  readonly text: string;
}

/** A split item with where its `text` starts in the scanned text (offset 0-based; line and column 1-based, in UTF-16 units). */
export interface LocatedItem extends SplitItem {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  /** False for a last SQL statement that ran into the end of the text without a `;`. */
  readonly terminated: boolean;
}

interface ScanResult {
  readonly items: LocatedItem[];
  /** Offset where unfinished input begins, or -1 when nothing is pending. */
  readonly restStart: number;
  /** True when the unfinished input is a statement (false: only an unclosed comment, or nothing). */
  readonly stmtPending: boolean;
}

/** Line and column (1-based) of every offset of `text`, by binary search over line starts. */
function positionFinder(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/** True when only spaces and tabs stand between the start of the line and `pos`. */
function atLineStart(text: string, pos: number): boolean {
  for (let i = pos - 1; i >= 0; i--) {
    const c = text[i];
    if (c === '\n') return true;
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\uFEFF') return false;
  }
  return true;
}

function scan(text: string): ScanResult {
  const items: LocatedItem[] = [];
  const where = positionFinder(text);
  const emit = (kind: 'sql' | 'dot', start: number, end: number, terminated: boolean): void => {
    const body = text.slice(start, end).trimEnd();
    if (body === '') return;
    items.push({ kind, text: body, offset: start, ...where(start), terminated });
  };
  let stmtStart = -1;
  let openComment = -1;
  let pos = 0;
  while (pos < text.length) {
    if (stmtStart === -1 && text[pos] === '.' && atLineStart(text, pos)) {
      // A dot-command owns its whole line: its arguments are file names and words, not SQL,
      // so a quote or `--` in them must not be read as the start of a string or comment.
      const nl = text.indexOf('\n', pos);
      const end = nl === -1 ? text.length : nl;
      emit('dot', pos, end, true);
      pos = end;
      continue;
    }
    const tok = nextToken(text, pos);
    pos = tok.end;
    if (isTrivia(tok)) {
      if (!tok.closed && stmtStart === -1) openComment = tok.start;
      continue;
    }
    if (tok.kind === 'punct' && tok.text === ';') {
      if (stmtStart !== -1) emit('sql', stmtStart, tok.start, true);
      stmtStart = -1;
      continue;
    }
    if (stmtStart === -1) stmtStart = tok.start;
  }
  return { items, restStart: stmtStart !== -1 ? stmtStart : openComment, stmtPending: stmtStart !== -1 };
}

/**
 * Splits a whole file (or piped stdin) into its statements and dot-command lines, with the
 * position each starts at so an error inside a statement can be reported at file
 * coordinates. A last statement without `;` is returned too, marked `terminated: false`;
 * text that is only blanks and comments yields nothing.
 */
export function splitStatements(text: string): LocatedItem[] {
  const { items, restStart, stmtPending } = scan(text);
  // An unclosed block comment alone is not a statement; an unterminated statement is left for the parser to judge.
  if (stmtPending) {
    items.push({ kind: 'sql', text: text.slice(restStart).trimEnd(), offset: restStart, ...positionFinder(text)(restStart), terminated: false });
  }
  return items;
}

/**
 * True when `buffer` leaves nothing unfinished: every statement in it ends with `;` outside
 * strings, quoted identifiers and comments, and no comment is left open. A buffer of only
 * blanks and closed comments is complete (there is nothing to wait for), and so is a
 * dot-command line typed into an empty buffer.
 */
export function isComplete(buffer: string): boolean {
  return scan(buffer).restStart === -1;
}

/** What {@link StatementSplitter.feed} found. */
export interface FeedResult {
  /** Statements and dot-commands completed by this line, in order. */
  readonly statements: SplitItem[];
  /** True when nothing is left pending after them (the prompt goes back to the primary one). */
  readonly complete: boolean;
  /** The pending, incomplete text ('' when complete). */
  readonly rest: string;
}

/**
 * The REPL's input accumulator: feed it each line the user enters; it hands back the
 * statements that line completed and keeps the unfinished tail. Input after the last `;` on a
 * line stays pending, as in psql, so `SELECT 1; SELECT` runs the first statement and waits
 * for the second.
 */
export class StatementSplitter {
  private buffer = '';

  /** Appends one line (or several, as pasted text) and returns what became complete. */
  feed(line: string): FeedResult {
    const text = this.buffer + line + '\n';
    const { items, restStart } = scan(text);
    this.buffer = restStart === -1 ? '' : text.slice(restStart);
    return {
      statements: items.map((it) => ({ kind: it.kind, text: it.text })),
      complete: restStart === -1,
      rest: this.pending,
    };
  }

  /** The pending text, without the line break the last feed appended. */
  get pending(): string {
    return this.buffer.endsWith('\n') ? this.buffer.slice(0, -1) : this.buffer;
  }

  /** True when no statement is pending. */
  get isEmpty(): boolean {
    return this.buffer === '';
  }

  /** Drops the pending text (Ctrl-C at a continuation prompt). */
  reset(): void {
    this.buffer = '';
  }
}
