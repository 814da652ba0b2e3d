/**
 * Hand-computed matches: each quantifier (greedy and reluctant), alternation and grouping,
 * AFTER MATCH SKIP modes, navigations (PREV with offsets, FIRST/LAST with offsets,
 * aggregates over a variable, CLASSIFIER, MATCH_NUMBER per partition). Prices are one
 * second apart; the comment above each case traces the matching.
 */
import { describe, expect, it } from 'vitest';
import { runTicker, table, type TickerRow } from './helpers.js';

const prices = (ps: readonly number[], symbol = 'X'): TickerRow[] =>
  ps.map((price, i) => ({ symbol, rowtime: `2024-01-01 00:00:${String(i).padStart(2, '0')}`, price }));

async function matches(
  q: { measures: string; pattern: string; define: string; skip?: string },
  ps: readonly number[],
  options: { end?: boolean; batch?: number } = {},
): Promise<unknown[][]> {
  const sql = `SELECT * FROM ticker MATCH_RECOGNIZE (
      PARTITION BY symbol ORDER BY rowtime
      MEASURES ${q.measures}
      ONE ROW PER MATCH ${q.skip ?? ''}
      PATTERN (${q.pattern})
      DEFINE ${q.define})`;
  // Without the partition column, in match order.
  return table(await runTicker(sql, prices(ps), options)).map((r) => r.slice(1));
}

describe('quantifiers', () => {
  it('{n}: exactly n rows', async () => {
    // 6 7 8 | 9 1 ✗ | 1 ✗ | 7 8 9
    expect(await matches({ measures: 'FIRST(price) AS f, LAST(price) AS l, COUNT(*) AS n', pattern: 'A{3}', define: 'A AS price > 5' }, [6, 7, 8, 9, 1, 7, 8, 9])).toEqual([
      [6, 8, 3],
      [7, 9, 3],
    ]);
  });

  it('{n,}: at least n rows, as many as possible', async () => {
    // A=6 7 8, B=1 | A=9 9, B=2
    expect(await matches({ measures: 'COUNT(A.*) AS na, B.price AS b', pattern: 'A{2,} B', define: 'A AS price > 5' }, [6, 7, 8, 1, 9, 9, 2])).toEqual([
      [2, 2],
      [3, 1],
    ]);
  });

  it('{n,m} greedy takes m rows, {n,m}? reluctant takes n', async () => {
    const q = (quant: string) => ({ measures: 'COUNT(A.*) AS na, B.price AS b', pattern: `A${quant} B`, define: 'A AS price > 5, B AS price > 0' });
    // Greedy: A=6 7, B=8 | 3 ✗. Reluctant: A=6, B=7 | A=8, B=3.
    expect(await matches(q('{1,2}'), [6, 7, 8, 3])).toEqual([[2, 8]]);
    expect(await matches(q('{1,2}?'), [6, 7, 8, 3])).toEqual([
      [1, 3],
      [1, 7],
    ]);
    // {,2} is {0,2}: from 3 on, B alone matches.
    expect(await matches(q('{,2}'), [6, 7, 8, 3])).toEqual([
      [0, 3],
      [2, 8],
    ]);
  });

  it('? takes the row when it can, ?? skips it when the rest still matches', async () => {
    const q = (quant: string) => ({ measures: 'COUNT(*) AS n, COUNT(B.*) AS nb, CLASSIFIER() AS last_var', pattern: `A B${quant} C`, define: 'A AS price = 1, B AS price = 2, C AS price >= 2' });
    expect(await matches(q('?'), [1, 2, 3])).toEqual([[3, 1, 'C']]);
    expect(await matches(q('??'), [1, 2, 3])).toEqual([[2, 0, 'C']]);
  });

  it('+ and +?: a greedy match waits for the row that ends it, a reluctant one ends at once', async () => {
    const q = (quant: string) => ({ measures: 'FIRST(price) AS f, LAST(price) AS l', pattern: `A${quant} B`, define: 'A AS price < 5, B AS price < 5' });
    // Greedy: A=1 2, B=3 (9 ends it). Reluctant: A=1, B=2 | A=3, 9 ✗ | 9 ✗.
    expect(await matches(q('+'), [1, 2, 3, 9])).toEqual([[1, 3]]);
    expect(await matches(q('+?'), [1, 2, 3, 9])).toEqual([[1, 2]]);
    // Without the 9, a greedy match stays open on an endless stream and completes at its end.
    expect(await matches(q('+'), [1, 2, 3])).toEqual([]);
    expect(await matches(q('+'), [1, 2, 3], { end: true })).toEqual([[1, 3]]);
  });

  it('* as the last element (which Flink refuses) is decided by the next row', async () => {
    const q = { measures: 'COUNT(B.*) AS nb', pattern: 'A B*', define: 'A AS price = 0, B AS price > 0' };
    // A=0 B=1 2 (ended by 0) | A=0 B=5 (ended by 0) | A=0 waits for a row that may be a B.
    expect(await matches(q, [0, 1, 2, 0, 5, 0])).toEqual([[1], [2]]);
    expect(await matches(q, [0, 1, 2, 0, 5, 0], { end: true })).toEqual([[0], [1], [2]]);
  });
});

describe('alternation and grouping', () => {
  it('matches a group repeated over an alternation', async () => {
    expect(
      await matches(
        { measures: 'COUNT(B.*) AS nb, COUNT(C.*) AS nc, CLASSIFIER() AS last_var', pattern: 'A (B | C)+ D', define: 'A AS price = 0, B AS price = 1, C AS price = 2, D AS price = 3' },
        [0, 1, 2, 1, 3, 0, 3],
      ),
    ).toEqual([[2, 1, 'D']]);
  });

  it('prefers the left alternative, and falls back to the right one when only it completes', async () => {
    // Both B and C take 1 and both wait in state D: only the C path lets D take 7.
    expect(await matches({ measures: 'COUNT(B.*) AS nb, COUNT(C.*) AS nc', pattern: '(B | C) D', define: 'B AS price < 5, C AS price < 9, D AS COUNT(B.*) = 0' }, [1, 7])).toEqual([
      [0, 1],
    ]);
    // When both complete, the left one wins.
    expect(await matches({ measures: 'COUNT(B.*) AS nb, COUNT(C.*) AS nc', pattern: '(B | C) D', define: 'B AS price < 5, C AS price < 9' }, [1, 7])).toEqual([[1, 0]]);
  });
});

describe('AFTER MATCH SKIP', () => {
  const q = (skip: string) => ({ measures: 'FIRST(price) AS f, LAST(price) AS l', pattern: 'A B+ C', define: 'A AS price < 5, B AS price < 5, C AS price >= 5', skip });
  const ps = [1, 2, 3, 9, 4, 9];
  it('TO FIRST B starts again at the first B row', async () => {
    // A=1 B=2 3 C=9 | from 2: A=2 B=3 C=9 | from 3: A=3, 9 ✗ | 9 ✗ | A=4, 9 ✗
    expect(await matches(q('AFTER MATCH SKIP TO FIRST B'), ps)).toEqual([
      [1, 9],
      [2, 9],
    ]);
  });
  it('TO LAST B, PAST LAST ROW and TO NEXT ROW', async () => {
    expect(await matches(q('AFTER MATCH SKIP TO LAST B'), ps)).toEqual([[1, 9]]);
    expect(await matches(q('AFTER MATCH SKIP PAST LAST ROW'), ps)).toEqual([[1, 9]]);
    expect(await matches(q('AFTER MATCH SKIP TO NEXT ROW'), ps)).toEqual([
      [1, 9],
      [2, 9],
    ]);
  });
  it('TO FIRST of the first variable goes on at the next row instead of looping', async () => {
    expect(await matches({ ...q('AFTER MATCH SKIP TO FIRST A'), pattern: 'A B' , define: 'A AS price < 5, B AS price < 5' }, [1, 2, 3])).toEqual([
      [1, 2],
      [2, 3],
    ]);
  });
});

describe('navigation', () => {
  it('PREV looks back in the partition, before the attempt and across watermarks', async () => {
    // price > the price two rows back: 2 > 1, 6 > 5, 7 > 2.
    const q = { measures: 'LAST(price) AS p', pattern: 'A', define: 'A AS price > PREV(price, 2)' };
    const run = (batch: number) => matches(q, [1, 5, 2, 6, 7], { batch });
    expect(await run(5)).toEqual([[2], [6], [7]]);
    expect(await run(1)).toEqual([[2], [6], [7]]);
  });

  it('FIRST(v.col, n), MIN, MAX, AVG over a variable; PREV(price) IS NULL only at the partition start', async () => {
    const q = { measures: 'FIRST(B.price, 1) AS second_b, MIN(B.price) AS lo, MAX(B.price) AS hi, AVG(B.price) AS mean, LAST(B.price, 2) AS third_last', pattern: 'A B+', define: 'A AS PREV(price) IS NULL' };
    expect(await matches(q, [5, 3, 8, 4], { end: true })).toEqual([[8, 3, 8, 5, 3]]);
  });

  it('numbers matches per partition', async () => {
    const rows = [...prices([6, 1, 7], 'X'), { symbol: 'Y', rowtime: '2024-01-01 00:00:05', price: 9 }];
    const sql = `SELECT * FROM ticker MATCH_RECOGNIZE (PARTITION BY symbol ORDER BY rowtime
      MEASURES MATCH_NUMBER() AS mno, A.price AS p PATTERN (A) DEFINE A AS price > 5)`;
    expect(table(await runTicker(sql, rows))).toEqual([
      ['X', 1, 6],
      ['X', 2, 7],
      ['Y', 1, 9],
    ]);
  });

  it('orders ties in event time by the other ORDER BY columns', async () => {
    const rows: TickerRow[] = [
      { symbol: 'X', rowtime: '2024-01-01 00:00:00', price: 3 },
      { symbol: 'X', rowtime: '2024-01-01 00:00:00', price: 1 },
      { symbol: 'X', rowtime: '2024-01-01 00:00:00', price: 2 },
    ];
    const sql = (dir: string) => `SELECT * FROM ticker MATCH_RECOGNIZE (PARTITION BY symbol ORDER BY rowtime, price ${dir}
      MEASURES FIRST(price) AS a, LAST(price) AS c PATTERN (A B C) DEFINE A AS TRUE)`;
    expect(table(await runTicker(sql('ASC'), rows))).toEqual([['X', 1, 3]]);
    expect(table(await runTicker(sql('DESC'), rows))).toEqual([['X', 3, 1]]);
  });
});
