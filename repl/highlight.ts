/**
 * Syntax highlighting as data: the input split into kinds of text, for the ink UI to
 * colour. Built on the forgiving lexer so half-typed input (an open string, an open
 * comment) highlights as the user would expect and never throws.
 */
import { DEFAULT_KEYWORDS } from './keywords.js';
import { lex, type LexToken } from './lexer.js';

export type HighlightKind = 'keyword' | 'string' | 'number' | 'comment' | 'identifier' | 'operator' | 'plain';

export interface HighlightSegment {
  readonly text: string;
  readonly kind: HighlightKind;
}

function kindOf(t: LexToken, keywords: ReadonlySet<string>): HighlightKind {
  switch (t.kind) {
    case 'whitespace':
    case 'punct':
      return 'plain';
    case 'lineComment':
    case 'blockComment':
      return 'comment';
    case 'string':
      return 'string';
    case 'quotedIdent':
      return 'identifier';
    case 'number':
      return 'number';
    case 'operator':
      return 'operator';
    case 'word':
      return keywords.has(t.text.toUpperCase()) ? 'keyword' : 'identifier';
  }
}

/**
 * Splits `text` into segments whose texts concatenate back to `text` exactly. Adjacent
 * segments of the same kind are merged. A dot-command line (`.mode csv`) shows its command
 * as a keyword and the rest as plain text, since its arguments are not SQL.
 */
export function highlight(text: string, keywords: readonly string[] = DEFAULT_KEYWORDS): HighlightSegment[] {
  const out: { text: string; kind: HighlightKind }[] = [];
  const add = (s: string, kind: HighlightKind): void => {
    if (s === '') return;
    const prev = out[out.length - 1];
    if (prev && prev.kind === kind) prev.text += s;
    else out.push({ text: s, kind });
  };
  const dot = /^(\s*)(\.\S*)([^\n]*)$/.exec(text);
  if (dot) {
    add(dot[1]!, 'plain');
    add(dot[2]!, 'keyword');
    add(dot[3]!, 'plain');
    return out;
  }
  const set = new Set(keywords.map((k) => k.toUpperCase()));
  for (const t of lex(text)) add(t.text, kindOf(t, set));
  return out;
}
