import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { highlight, type HighlightSegment } from '../../repl/highlight.js';

const pairs = (segs: HighlightSegment[]): [string, string][] => segs.map((s) => [s.kind, s.text]);

describe('highlight', () => {
  it('classifies keywords, names, literals, operators and comments', () => {
    expect(pairs(highlight("select price*2, 'a''b' FROM \"Bids\" -- note\nWHERE x >= 1.5e3 /* c */;"))).toEqual([
      ['keyword', 'select'],
      ['plain', ' '],
      ['identifier', 'price'],
      ['operator', '*'],
      ['number', '2'],
      ['plain', ', '],
      ['string', "'a''b'"],
      ['plain', ' '],
      ['keyword', 'FROM'],
      ['plain', ' '],
      ['identifier', '"Bids"'],
      ['plain', ' '],
      ['comment', '-- note'],
      ['plain', '\n'],
      ['keyword', 'WHERE'],
      ['plain', ' '],
      ['identifier', 'x'],
      ['plain', ' '],
      ['operator', '>='],
      ['plain', ' '],
      ['number', '1.5e3'],
      ['plain', ' '],
      ['comment', '/* c */'],
      ['plain', ';'],
    ]);
  });

  it('runs an unclosed string or comment to the end', () => {
    expect(pairs(highlight("SELECT 'abc\nFROM"))).toEqual([
      ['keyword', 'SELECT'],
      ['plain', ' '],
      ['string', "'abc\nFROM"],
    ]);
    expect(pairs(highlight('SELECT /* open'))).toEqual([
      ['keyword', 'SELECT'],
      ['plain', ' '],
      ['comment', '/* open'],
    ]);
  });

  it('takes a custom keyword list', () => {
    expect(pairs(highlight('foo bar', ['FOO']))).toEqual([
      ['keyword', 'foo'],
      ['plain', ' '],
      ['identifier', 'bar'],
    ]);
  });

  it('shows a dot-command with its name as a keyword', () => {
    expect(pairs(highlight(".read 'x.sql'"))).toEqual([
      ['keyword', '.read'],
      ['plain', " 'x.sql'"],
    ]);
  });

  const sqlish = fc
    .array(fc.constantFrom('SELECT', 'from', 'x', ' ', '\n', "'", "''", '"', '--', '/*', '*/', '*', '-', '/', '1', '.5', 'e', '.', ';', '::', 'é', '😀', '\\'))
    .map((a) => a.join(''));

  it('covers the text exactly for any input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), sqlish), (text) => {
        const segs = highlight(text);
        expect(segs.map((s) => s.text).join('')).toBe(text);
        for (let i = 0; i < segs.length; i++) {
          expect(segs[i]!.text).not.toBe('');
          if (i > 0) expect(segs[i]!.kind).not.toBe(segs[i - 1]!.kind);
        }
      }),
      { numRuns: 500 },
    );
  });
});
