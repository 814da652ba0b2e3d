/**
 * A forgiving scanner for the REPL's editing aids (statement splitting, highlighting,
 * completion). It is deliberately separate from the real parser in grammar/: it must cope
 * with half-typed input (unclosed strings and comments) and never throw, and it only needs
 * to know where strings, quoted identifiers and comments begin and end.
 */

export type LexKind =
  | 'whitespace'
  | 'lineComment'
  | 'blockComment'
  | 'string'
  | 'quotedIdent'
  | 'number'
  | 'word'
  | 'operator'
  | 'punct';

/** One token: `text` is `input.slice(start, end)`; `closed` is false for an unterminated string, quoted identifier or block comment. */
export interface LexToken {
  readonly kind: LexKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly closed: boolean;
}

const OPERATOR_CHARS = new Set(['+', '-', '*', '/', '%', '=', '<', '>', '!', '|', ':', '^', '&', '~', '?', '@', '#']);
const PUNCT_CHARS = new Set(['(', ')', ',', ';', '.', '[', ']', '{', '}']);

function isWordStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c > '\x7f';
}

function isWordPart(c: string): boolean {
  return isWordStart(c) || isDigit(c) || c === '$';
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isSpace(c: string): boolean {
  // A byte-order mark counts as blank so a file saved by an editor that writes one still splits cleanly.
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF';
}

/** Ends a quoted run that starts at `start` (the opening quote); a doubled quote is an escaped one. */
function scanQuoted(s: string, start: number, quote: string): { end: number; closed: boolean } {
  let i = start + 1;
  while (i < s.length) {
    if (s[i] === quote) {
      if (s[i + 1] === quote) {
        i += 2;
        continue;
      }
      return { end: i + 1, closed: true };
    }
    i++;
  }
  return { end: s.length, closed: false };
}

function scanNumber(s: string, start: number): number {
  let i = start;
  while (i < s.length && isDigit(s[i]!)) i++;
  if (s[i] === '.') {
    i++;
    while (i < s.length && isDigit(s[i]!)) i++;
  }
  if (s[i] === 'e' || s[i] === 'E') {
    let j = i + 1;
    if (s[j] === '+' || s[j] === '-') j++;
    if (j < s.length && isDigit(s[j]!)) {
      while (j < s.length && isDigit(s[j]!)) j++;
      i = j;
    }
  }
  return i;
}

/**
 * Reads the one token that starts at `i` (which must be inside `s`). Block comments do not
 * nest, as in most SQL lexers and as `/* … *\/` reads to a user.
 */
export function nextToken(s: string, i: number): LexToken {
  const tok = (kind: LexKind, end: number, closed = true): LexToken => ({ kind, text: s.slice(i, end), start: i, end, closed });
  const c = s[i]!;
  const next = s[i + 1];
  if (isSpace(c)) {
    let j = i + 1;
    while (j < s.length && isSpace(s[j]!)) j++;
    return tok('whitespace', j);
  }
  if (c === '-' && next === '-') {
    const nl = s.indexOf('\n', i + 2);
    // The newline is left to the following whitespace token so line structure stays visible.
    return tok('lineComment', nl === -1 ? s.length : nl);
  }
  if (c === '/' && next === '*') {
    const close = s.indexOf('*/', i + 2);
    return close === -1 ? tok('blockComment', s.length, false) : tok('blockComment', close + 2);
  }
  if (c === "'" || c === '"') {
    const r = scanQuoted(s, i, c);
    return tok(c === "'" ? 'string' : 'quotedIdent', r.end, r.closed);
  }
  if (isDigit(c) || (c === '.' && next !== undefined && isDigit(next))) return tok('number', scanNumber(s, i));
  if (isWordStart(c)) {
    let j = i + 1;
    while (j < s.length && isWordPart(s[j]!)) j++;
    return tok('word', j);
  }
  if (OPERATOR_CHARS.has(c)) {
    let j = i + 1;
    // Runs like `<=`, `::`, `||` read as one operator; a following comment start must not be swallowed.
    while (j < s.length && OPERATOR_CHARS.has(s[j]!) && !(s[j] === '-' && s[j + 1] === '-') && !(s[j] === '/' && s[j + 1] === '*')) j++;
    return tok('operator', j);
  }
  if (PUNCT_CHARS.has(c)) return tok('punct', i + 1);
  // Anything else (a stray backslash, a lone surrogate half) stays a one-character token.
  return tok('operator', i + 1);
}

/** Splits `input` into tokens that cover it exactly, in order. Never throws. */
export function lex(input: string): LexToken[] {
  const out: LexToken[] = [];
  let i = 0;
  while (i < input.length) {
    const t = nextToken(input, i);
    out.push(t);
    i = t.end;
  }
  return out;
}

/** True for tokens that carry no meaning for the statement (whitespace and comments). */
export function isTrivia(t: LexToken): boolean {
  return t.kind === 'whitespace' || t.kind === 'lineComment' || t.kind === 'blockComment';
}
