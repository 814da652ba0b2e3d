import { describe, expect, it } from 'vitest';
import { keysFromInk, textKeys, type InkKeyLike } from '../../repl/keys.js';

const none: InkKeyLike = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  meta: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
};

describe('keysFromInk', () => {
  it.each<[string, string, Partial<InkKeyLike>, string[]]>([
    ['plain text', 'a', {}, ['text:a']],
    ['Enter', '', { return: true }, ['enter']],
    ['arrows', '', { upArrow: true }, ['up']],
    ['Ctrl-Left moves by word', '', { leftArrow: true, ctrl: true }, ['wordLeft']],
    ['the Backspace key of most terminals (ink calls it delete)', '', { delete: true }, ['backspace']],
    ['Alt-Backspace deletes a word', '', { backspace: true, meta: true }, ['killWord']],
    ['Ctrl-C', 'c', { ctrl: true }, ['interrupt']],
    ['Ctrl-D', 'd', { ctrl: true }, ['eof']],
    ['Ctrl-A / Ctrl-E', 'a', { ctrl: true }, ['home']],
    ['Ctrl-U', 'u', { ctrl: true }, ['killStart']],
    ['an unbound Ctrl key does nothing', 'g', { ctrl: true }, []],
    ['Alt-B', 'b', { meta: true }, ['wordLeft']],
    ['Tab', '', { tab: true }, ['tab']],
    ['Shift-Tab does nothing', '', { tab: true, shift: true }, []],
    ['Escape', '', { escape: true, meta: true }, ['escape']],
    ['an unknown escape sequence (its ESC stripped by ink) is not typed', '[200~', {}, []],
    ['text that merely looks like one is typed', 'Ok', {}, ['text:Ok']],
    ['pasted lines are entered one by one', 'SELECT 1;\rSELECT 2;\r', {}, ['text:SELECT 1;', 'enter', 'text:SELECT 2;', 'enter']],
  ])('%s', (_name, input, key, expected) => {
    const got = keysFromInk(input, { ...none, ...key }).map((k) => (k.kind === 'text' ? `text:${k.text}` : k.kind));
    expect(got).toEqual(expected);
  });

  it('textKeys turns tabs into spaces, CRLF into one Enter and drops other control characters', () => {
    expect(textKeys('a\tb\r\nc\x07d')).toEqual([{ kind: 'text', text: 'a b' }, { kind: 'enter' }, { kind: 'text', text: 'cd' }]);
  });
});
