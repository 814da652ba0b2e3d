import { describe, expect, it } from 'vitest';
import { layoutInput, type InputLayout } from '../../repl/input-layout.js';

/** The rows as plain text, with the cursor drawn as '█' over the cell it stands on. */
function picture(l: InputLayout): string[] {
  const lines = l.rows.map((r) => r.prompt + r.segments.map((s) => s.text).join(''));
  const row = lines[l.cursor.y] ?? '';
  lines[l.cursor.y] = row.slice(0, l.cursor.x).padEnd(l.cursor.x) + '█' + row.slice(l.cursor.x + 1);
  return lines;
}

describe('layoutInput', () => {
  it('puts the prompt before the text and the cursor after it', () => {
    const l = layoutInput({ state: { text: 'SELECT 1', cursor: 8 }, pending: '', width: 80 });
    expect(picture(l)).toEqual(['sluice> SELECT 1█']);
    expect(l.cursor).toEqual({ x: 16, y: 0 });
  });

  it('uses the continuation prompt when earlier lines are pending and for each further line', () => {
    const l = layoutInput({ state: { text: 'FROM t\nWHERE a', cursor: 2 }, pending: 'SELECT a', width: 80 });
    expect(picture(l)).toEqual(['   ...> FR█M t', '   ...> WHERE a']);
  });

  it('wraps long lines at the terminal width and follows the cursor onto the wrapped row', () => {
    const l = layoutInput({ state: { text: 'abcdefghij', cursor: 10 }, pending: '', width: 12 });
    expect(picture(l)).toEqual(['sluice> abcd', 'efghij█']);
  });

  it('moves a cursor at the very edge to the next row', () => {
    const l = layoutInput({ state: { text: 'abcd', cursor: 4 }, pending: '', width: 12 });
    expect(l.rows).toHaveLength(2);
    expect(l.cursor).toEqual({ x: 0, y: 1 });
  });

  it('counts wide characters as two cells', () => {
    const l = layoutInput({ state: { text: '日本', cursor: 2 }, pending: '', width: 80 });
    expect(l.cursor).toEqual({ x: 12, y: 0 });
  });

  it('highlights keywords, and a string opened on a pending line stays a string', () => {
    const l = layoutInput({ state: { text: "abc' FROM", cursor: 0 }, pending: "SELECT 'x", width: 80, keywords: ['SELECT', 'FROM'] });
    expect(l.rows[0]!.segments).toEqual([
      { text: "abc'", kind: 'string' },
      { text: ' ', kind: 'plain' },
      { text: 'FROM', kind: 'keyword' },
    ]);
  });
});
