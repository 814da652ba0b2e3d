import { describe, expect, it } from 'vitest';
import { candidateLines } from '../../repl/completion-list.js';

describe('candidateLines', () => {
  it('lays candidates out in equal columns across the width', () => {
    expect(candidateLines(['bids', 'bidders', 'b'], 40)).toEqual(['bids     bidders  b']);
    expect(candidateLines(['aaaa', 'bbbb', 'cccc'], 13)).toEqual(['aaaa  bbbb', 'cccc']);
  });

  it('shows at most maxLines lines, the last one counting the rest', () => {
    const many = Array.from({ length: 30 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    expect(candidateLines(many, 10, 3)).toEqual(['c00  c01', 'c02  c03', '… and 26 more']);
  });

  it('gives nothing for no candidates', () => {
    expect(candidateLines([], 80)).toEqual([]);
  });
});
