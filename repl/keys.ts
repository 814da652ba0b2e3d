/**
 * The REPL's own key vocabulary, and the translation from what ink reports. Ink folds
 * several keys together and hands pasted text over as one string (line breaks included),
 * so the translation happens in one place and the rest of the shell sees plain events.
 */

/** One thing the user did at the keyboard. */
export type KeyEvent =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind:
        | 'enter'
        | 'backspace'
        | 'delete'
        | 'left'
        | 'right'
        | 'wordLeft'
        | 'wordRight'
        | 'home'
        | 'end'
        | 'up'
        | 'down'
        | 'tab'
        | 'escape'
        /** Ctrl-C. */
        | 'interrupt'
        /** Ctrl-D. */
        | 'eof'
        /** Ctrl-U: delete from the start of the line to the cursor. */
        | 'killStart'
        /** Ctrl-K: delete from the cursor to the end of the line. */
        | 'killEnd'
        /** Ctrl-W, Alt-Backspace: delete the word before the cursor. */
        | 'killWord';
    };

export type KeyKind = KeyEvent['kind'];

/** The fields of ink's `Key` the translation reads (kept structural so tests need no ink). */
export interface InkKeyLike {
  readonly upArrow: boolean;
  readonly downArrow: boolean;
  readonly leftArrow: boolean;
  readonly rightArrow: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return: boolean;
  readonly escape: boolean;
  readonly ctrl: boolean;
  readonly meta: boolean;
  readonly shift: boolean;
  readonly tab: boolean;
  readonly backspace: boolean;
  readonly delete: boolean;
}

const key = (kind: Exclude<KeyKind, 'text'>): KeyEvent => ({ kind });

const CTRL_KEYS: Readonly<Record<string, Exclude<KeyKind, 'text'>>> = {
  c: 'interrupt',
  d: 'eof',
  a: 'home',
  e: 'end',
  b: 'left',
  f: 'right',
  h: 'backspace',
  u: 'killStart',
  k: 'killEnd',
  w: 'killWord',
  p: 'up',
  n: 'down',
};

/**
 * Splits typed or pasted text into text and enter events: each line break is an Enter (a
 * pasted script runs line by line, as in a terminal), a tab inside pasted text is a space
 * (it must not trigger completion), and other control characters are dropped.
 */
export function textKeys(raw: string): KeyEvent[] {
  const out: KeyEvent[] = [];
  let text = '';
  const flush = (): void => {
    if (text !== '') out.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\r' || c === '\n') {
      if (c === '\r' && raw[i + 1] === '\n') i++;
      flush();
      out.push(key('enter'));
    } else if (c === '\t') {
      text += ' ';
    } else if (c === '\x7f' || c === '\b') {
      flush();
      out.push(key('backspace'));
    } else if (c < ' ' || c === '\x1b') {
      continue;
    } else {
      text += c;
    }
  }
  flush();
  return out;
}

/**
 * Translates one ink input event into key events. Ink reports the Backspace key of most
 * terminals (DEL, 0x7f) as `delete` and cannot tell it from the Delete key, so both erase
 * backwards, as ink's own text input does; Ctrl-D with text on the line deletes forwards.
 */
export function keysFromInk(input: string, k: InkKeyLike): KeyEvent[] {
  if (k.return) return [key('enter')];
  if (k.upArrow) return [key('up')];
  if (k.downArrow) return [key('down')];
  if (k.leftArrow) return [key(k.ctrl || k.meta ? 'wordLeft' : 'left')];
  if (k.rightArrow) return [key(k.ctrl || k.meta ? 'wordRight' : 'right')];
  if (k.home) return [key('home')];
  if (k.end) return [key('end')];
  if (k.tab) return k.shift ? [] : [key('tab')];
  if (k.backspace || k.delete) return [key(k.meta ? 'killWord' : 'backspace')];
  if (k.ctrl) {
    const kind = CTRL_KEYS[input.toLowerCase()];
    return kind === undefined ? [] : [key(kind)];
  }
  if (k.meta && input.length === 1) {
    if (input === 'b') return [key('wordLeft')];
    if (input === 'f') return [key('wordRight')];
    return [];
  }
  if (k.escape) return [key('escape')];
  // An escape sequence ink does not know (bracketed-paste markers, F-keys of odd terminals)
  // reaches here without its ESC; typing it as text would put `[200~` into the statement.
  if (/^\[[\d;:]+[~A-Za-z]$/.test(input)) return [];
  return textKeys(input);
}
