import { describe, expect, it } from 'vitest';
import type { KeyEvent } from '../../repl/keys.js';
import { editLine, type EditorState } from '../../repl/line-editor.js';

/** 'SEL|ECT' ↔ { text: 'SELECT', cursor: 3 }: the bar marks the cursor. */
function state(s: string): EditorState {
  const cursor = s.indexOf('|');
  return { text: s.slice(0, cursor) + s.slice(cursor + 1), cursor };
}

function show(s: EditorState): string {
  return s.text.slice(0, s.cursor) + '|' + s.text.slice(s.cursor);
}

const k = (kind: Exclude<KeyEvent['kind'], 'text'>): KeyEvent => ({ kind });
const t = (text: string): KeyEvent => ({ kind: 'text', text });

describe('editLine', () => {
  it.each<[string, string, KeyEvent[], string]>([
    ['typing inserts at the cursor', 'SEL|', [t('E'), t('CT')], 'SELECT|'],
    ['typing in the middle', 'SE|CT', [t('LE')], 'SELE|CT'],
    ['backspace erases before the cursor', 'SELECT|', [k('backspace'), k('backspace')], 'SELE|'],
    ['backspace at the start does nothing', '|abc', [k('backspace')], '|abc'],
    ['delete erases under the cursor', 'ab|cd', [k('delete')], 'ab|d'],
    ['delete at the end does nothing', 'ab|', [k('delete')], 'ab|'],
    ['left and right move, stopping at the ends', 'a|b', [k('left'), k('left'), k('right'), k('right'), k('right')], 'ab|'],
    ['home and end (Ctrl-A / Ctrl-E)', 'SELECT |1', [k('home'), t('x'), k('end'), t('y')], 'xSELECT 1y|'],
    ['home and end act on the current line of a multi-line text', 'SELECT a,\n  b|\nFROM t', [k('home')], 'SELECT a,\n|  b\nFROM t'],
    ['end stops at the line break', 'SELECT a,\n | b\nFROM t', [k('end')], 'SELECT a,\n  b|\nFROM t'],
    ['Ctrl-U deletes to the start of the line', 'SELECT 1|, 2', [k('killStart')], '|, 2'],
    ['Ctrl-K deletes to the end of the line', 'SELECT 1|, 2', [k('killEnd')], 'SELECT 1|'],
    ['Ctrl-W deletes the word before the cursor', 'SELECT price|', [k('killWord')], 'SELECT |'],
    ['Ctrl-W skips blanks first', 'FROM bids  |', [k('killWord')], 'FROM |'],
    ['word left and right', 'SELECT price FROM| bids', [k('wordLeft'), k('wordLeft'), k('wordRight')], 'SELECT price| FROM bids'],
    ['a surrogate pair is erased whole', 'ab😀|', [k('backspace')], 'ab|'],
    ['left over a surrogate pair moves by one character', 'a😀|', [k('left'), t('x')], 'ax|😀'],
    ['keys that are not editing keys change nothing', 'ab|c', [k('enter'), k('tab'), k('up'), k('interrupt')], 'ab|c'],
  ])('%s', (_name, start, keys, expected) => {
    let s = state(start);
    for (const key of keys) s = editLine(s, key);
    expect(show(s)).toBe(expected);
  });
});
