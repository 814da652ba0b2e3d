/**
 * The line being typed at the prompt, as an immutable value and a reducer over key events
 * (readline's bindings: arrows, Home/End, Ctrl-A/E/U/K/W, Alt-B/F). The text may hold line
 * breaks when a multi-line statement is recalled from history; Home and End then act on
 * the line the cursor is in. Keys that are not editing (Enter, Tab, history, Ctrl-C/D) are
 * left to the session.
 */
import type { KeyEvent } from './keys.js';

export interface EditorState {
  readonly text: string;
  /** Offset in `text` (UTF-16 units), 0 … text.length. */
  readonly cursor: number;
}

export const EMPTY_EDITOR: EditorState = { text: '', cursor: 0 };

/** An editor showing `text` with the cursor at its end (a history recall). */
export function editorWith(text: string): EditorState {
  return { text, cursor: text.length };
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}_$]/u.test(c);
}

/** Length of the code point that ends at `i` (so a surrogate pair is erased whole). */
function charBefore(text: string, i: number): number {
  if (i >= 2 && /[\uDC00-\uDFFF]/.test(text[i - 1]!) && /[\uD800-\uDBFF]/.test(text[i - 2]!)) return 2;
  return i > 0 ? 1 : 0;
}

function charAt(text: string, i: number): number {
  if (i + 1 < text.length && /[\uD800-\uDBFF]/.test(text[i]!) && /[\uDC00-\uDFFF]/.test(text[i + 1]!)) return 2;
  return i < text.length ? 1 : 0;
}

function wordStartBefore(text: string, i: number): number {
  let j = i;
  while (j > 0 && !isWordChar(text[j - 1])) j--;
  while (j > 0 && isWordChar(text[j - 1])) j--;
  return j;
}

function wordEndAfter(text: string, i: number): number {
  let j = i;
  while (j < text.length && !isWordChar(text[j])) j++;
  while (j < text.length && isWordChar(text[j])) j++;
  return j;
}

function lineStart(text: string, i: number): number {
  return text.lastIndexOf('\n', i - 1) + 1;
}

function lineEnd(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl === -1 ? text.length : nl;
}

/** Replaces `text[from, to)` with `insert` and puts the cursor after the insertion. */
export function splice(s: EditorState, from: number, to: number, insert: string): EditorState {
  return { text: s.text.slice(0, from) + insert + s.text.slice(to), cursor: from + insert.length };
}

/**
 * Applies one editing key; returns the state unchanged for keys that are not editing keys.
 *
 * @example editLine({ text: 'SELEC', cursor: 5 }, { kind: 'text', text: 'T' }) // { text: 'SELECT', cursor: 6 }
 */
export function editLine(s: EditorState, key: KeyEvent): EditorState {
  const { text, cursor } = s;
  switch (key.kind) {
    case 'text':
      return splice(s, cursor, cursor, key.text);
    case 'backspace':
      return cursor === 0 ? s : splice(s, cursor - charBefore(text, cursor), cursor, '');
    case 'delete':
      return cursor >= text.length ? s : splice(s, cursor, cursor + charAt(text, cursor), '');
    case 'left':
      return { text, cursor: cursor - charBefore(text, cursor) };
    case 'right':
      return { text, cursor: cursor + charAt(text, cursor) };
    case 'wordLeft':
      return { text, cursor: wordStartBefore(text, cursor) };
    case 'wordRight':
      return { text, cursor: wordEndAfter(text, cursor) };
    case 'home':
      return { text, cursor: lineStart(text, cursor) };
    case 'end':
      return { text, cursor: lineEnd(text, cursor) };
    case 'killStart':
      return splice(s, lineStart(text, cursor), cursor, '');
    case 'killEnd':
      return splice(s, cursor, lineEnd(text, cursor), '');
    case 'killWord':
      return splice(s, wordStartBefore(text, cursor), cursor, '');
    default:
      return s;
  }
}
