/**
 * The examples of Flink's MATCH_RECOGNIZE documentation (docs/dev/table/sql/queries/
 * match_recognize.md), each with the output the documentation gives. The documentation shows
 * an endless stream, so each run stops the watermark just past the last row; where ending
 * the input (watermark +∞) completes one more match, as the SQL standard does on a finite
 * table, the test says so.
 */
import { describe, expect, it } from 'vitest';
import { runTicker, table, type TickerRow } from './helpers.js';

const series = (symbol: string, day: string, times: readonly string[], prices: readonly number[], taxes: readonly number[] = []): TickerRow[] =>
  prices.map((price, i) => ({ symbol, rowtime: `${day} ${times[i]}`, price, tax: taxes[i] ?? 0 }));
const seconds = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `10:00:${String(from + i).padStart(2, '0')}`);

describe("Flink's documented examples", () => {
  it('finds the V-shaped price period (START_ROW PRICE_DOWN+ PRICE_UP, SKIP TO LAST PRICE_UP)', async () => {
    const rows = series('ACME', '2011-04-01', seconds(11), [12, 17, 19, 21, 25, 18, 15, 14, 24, 25, 19], [1, 2, 1, 3, 2, 1, 1, 2, 2, 2, 1]);
    const sql = `SELECT * FROM ticker
      MATCH_RECOGNIZE (
        PARTITION BY symbol
        ORDER BY rowtime
        MEASURES
          START_ROW.rowtime AS start_tstamp,
          LAST(PRICE_DOWN.rowtime) AS bottom_tstamp,
          LAST(PRICE_UP.rowtime) AS end_tstamp
        ONE ROW PER MATCH
        AFTER MATCH SKIP TO LAST PRICE_UP
        PATTERN (START_ROW PRICE_DOWN+ PRICE_UP)
        DEFINE
          PRICE_DOWN AS
            (LAST(PRICE_DOWN.price, 1) IS NULL AND PRICE_DOWN.price < START_ROW.price) OR
              PRICE_DOWN.price < LAST(PRICE_DOWN.price, 1),
          PRICE_UP AS
            PRICE_UP.price > LAST(PRICE_DOWN.price, 1)
      ) MR`;
    const expected = [['ACME', '2011-04-01 10:00:04', '2011-04-01 10:00:07', '2011-04-01 10:00:08']];
    expect(table(await runTicker(sql, rows))).toEqual(expected);
    expect(table(await runTicker(sql, rows, { end: true }))).toEqual(expected);
  });

  it('aggregates in DEFINE and MEASURES (A+ B, AVG(A.price) < 15)', async () => {
    const rows = series('ACME', '2011-04-01', seconds(12), [12, 17, 13, 16, 25, 2, 4, 10, 15, 25, 25, 30]);
    const sql = `SELECT * FROM ticker MATCH_RECOGNIZE (
        PARTITION BY symbol ORDER BY rowtime
        MEASURES FIRST(A.rowtime) AS start_tstamp, LAST(A.rowtime) AS end_tstamp, AVG(A.price) AS avgPrice
        ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW
        PATTERN (A+ B)
        DEFINE A AS AVG(A.price) < 15
      ) MR`;
    expect(table(await runTicker(sql, rows))).toEqual([
      ['ACME', '2011-04-01 10:00:00', '2011-04-01 10:00:03', 14.5],
      ['ACME', '2011-04-01 10:00:05', '2011-04-01 10:00:10', 13.5],
    ]);
  });

  describe('greedy and reluctant quantifiers (A B* C)', () => {
    const rows = series('XYZ', '2018-09-17', seconds(6, 2), [10, 11, 12, 13, 14, 16], [1, 2, 1, 2, 1, 2]);
    const sql = (b: string) => `SELECT * FROM ticker MATCH_RECOGNIZE (
        PARTITION BY symbol ORDER BY rowtime
        MEASURES C.price AS lastPrice
        ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW
        PATTERN (A ${b} C)
        DEFINE A AS A.price > 10, B AS B.price < 15, C AS C.price > 12
      )`;
    it('greedy B* swallows 12, 13 and 14', async () => {
      expect(table(await runTicker(sql('B*'), rows))).toEqual([['XYZ', 16]]);
    });
    it('reluctant B*? stops at the first C', async () => {
      expect(table(await runTicker(sql('B*?'), rows))).toEqual([['XYZ', 13], ['XYZ', 16]]);
    });
  });

  it('bounds a match with WITHIN (a drop of 10 within one hour; the bound is inclusive)', async () => {
    const times = ['10:00', '10:20', '10:40', '11:00', '11:20', '11:40', '12:00', '12:20', '12:40', '13:00', '13:20'].map((t) => `${t}:00`);
    const rows = series('ACME', '2011-04-01', times, [20, 17, 18, 11, 14, 9, 15, 14, 24, 1, 19]);
    const sql = (within: string) => `SELECT * FROM ticker MATCH_RECOGNIZE (
        PARTITION BY symbol ORDER BY rowtime
        MEASURES C.rowtime AS dropTime, A.price - C.price AS dropDiff
        ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW
        PATTERN (A B* C) WITHIN ${within}
        DEFINE B AS B.price > A.price - 10, C AS C.price < A.price - 10
      )`;
    expect(table(await runTicker(sql(`INTERVAL '1' HOUR`), rows))).toEqual([['ACME', '2011-04-01 13:00:00', 14]]);
    // One millisecond less and 12:00 → 13:00 is out of bounds: the drop found is 12:20 → 13:00.
    expect(table(await runTicker(sql(`INTERVAL '3599999' MILLISECOND`), rows))).toEqual([['ACME', '2011-04-01 13:00:00', 13]]);
    // Without WITHIN the first drop (20 at 10:00 to 9 at 11:40) is found.
    const unbounded = sql('').replace('WITHIN ', '');
    expect(table(await runTicker(unbounded, rows))).toEqual([['ACME', '2011-04-01 11:40:00', 11], ['ACME', '2011-04-01 13:00:00', 14]]);
  });

  it('outputs the partition columns, then the measures (ONE ROW PER MATCH)', async () => {
    const rows = series('XYZ', '2018-09-17', seconds(4, 2), [10, 12, 13, 11], [1, 2, 1, 2]);
    const result = await runTicker(
      `SELECT * FROM ticker MATCH_RECOGNIZE (
        PARTITION BY symbol ORDER BY rowtime
        MEASURES FIRST(A.price) AS startPrice, LAST(A.price) AS topPrice, B.price AS lastPrice
        ONE ROW PER MATCH
        PATTERN (A+ B)
        DEFINE A AS LAST(A.price, 1) IS NULL OR A.price > LAST(A.price, 1), B AS B.price < LAST(A.price)
      )`,
      rows,
    );
    // Unquoted names are lower-cased, as everywhere in sluice.
    expect(result).toEqual([{ symbol: 'XYZ', startprice: 10, topprice: 13, lastprice: 11 }]);
  });

  it('navigates with SUM over a variable and over every row (A B+)', async () => {
    const rows = series('XYZ', '2018-09-17', seconds(5), [10, 15, 20, 31, 35]);
    const sql = `SELECT * FROM ticker MATCH_RECOGNIZE (
        PARTITION BY symbol ORDER BY rowtime
        MEASURES COUNT(B.*) AS bs, SUM(price) AS total, SUM(B.price) AS b_total, CLASSIFIER() AS last_var
        PATTERN (A B+)
        DEFINE A AS A.price >= 10, B AS B.price > A.price AND SUM(price) < 100 AND SUM(B.price) < 80
      )`;
    expect(table(await runTicker(sql, rows))).toEqual([['XYZ', 3, 76, 66, 'B']]);
  });

  it('navigates with LAST(B.price, n) and LAST(price, 1)', async () => {
    const rows = series('XYZ', '2018-09-17', seconds(6), [10, 15, 20, 31, 35, 1]);
    const offsets = `SELECT * FROM ticker MATCH_RECOGNIZE (
        PARTITION BY symbol ORDER BY rowtime
        MEASURES COUNT(B.*) AS bs, LAST(B.price) AS top
        PATTERN (A B+ C)
        DEFINE A AS A.price >= 10,
          B AS (LAST(B.price, 1) IS NULL OR B.price > LAST(B.price, 1)) AND
               (LAST(B.price, 2) IS NULL OR B.price > 2 * LAST(B.price, 2))
      )`;
    // 35 < 2 * 20 is no B: it ends the run of Bs as C.
    expect(table(await runTicker(offsets, rows))).toEqual([['XYZ', 3, 31]]);
    const any = (prices: number[]) =>
      runTicker(
        `SELECT * FROM ticker MATCH_RECOGNIZE (
          PARTITION BY symbol ORDER BY rowtime
          MEASURES A.price AS a, B.price AS b, C.price AS c
          PATTERN (A B? C)
          DEFINE B AS B.price < 20, C AS LAST(price, 1) < C.price
        )`,
        series('XYZ', '2018-09-17', seconds(prices.length), prices),
      );
    expect(table(await any([10, 15, 20]))).toEqual([['XYZ', 10, 15, 20]]);
    expect(table(await any([10, 20]))).toEqual([['XYZ', 10, null, 20]]);
  });

  describe('AFTER MATCH strategies (A+ C, SUM(A.price) < 30)', () => {
    const rows = series('XYZ', '2018-09-17', seconds(7, 1), [7, 9, 10, 5, 10, 7, 14], [1, 2, 1, 2, 2, 2, 2]);
    const sql = (skip: string) => `SELECT * FROM ticker MATCH_RECOGNIZE (
        PARTITION BY symbol ORDER BY rowtime
        MEASURES SUM(A.price) AS sumPrice, FIRST(rowtime) AS startTime, LAST(rowtime) AS endTime
        ONE ROW PER MATCH ${skip}
        PATTERN (A+ C)
        DEFINE A AS SUM(A.price) < 30
      )`;
    const t = (s: number) => `2018-09-17 10:00:0${s}`;
    it('SKIP PAST LAST ROW', async () => {
      expect(table(await runTicker(sql('AFTER MATCH SKIP PAST LAST ROW'), rows))).toEqual([
        ['XYZ', 17, t(5), t(7)],
        ['XYZ', 26, t(1), t(4)],
      ]);
    });
    it('SKIP TO NEXT ROW', async () => {
      const documented = [
        ['XYZ', 17, t(5), t(7)],
        ['XYZ', 22, t(4), t(7)],
        ['XYZ', 24, t(2), t(5)],
        ['XYZ', 25, t(3), t(6)],
        ['XYZ', 26, t(1), t(4)],
      ];
      expect(table(await runTicker(sql('AFTER MATCH SKIP TO NEXT ROW'), rows))).toEqual(documented);
      // At the end of the input the attempt from 10:00:06 settles for A = 7, C = 14.
      expect(table(await runTicker(sql('AFTER MATCH SKIP TO NEXT ROW'), rows, { end: true }))).toEqual([...documented, ['XYZ', 7, t(6), t(7)]]);
    });
    it('SKIP TO LAST A', async () => {
      expect(table(await runTicker(sql('AFTER MATCH SKIP TO LAST A'), rows))).toEqual([
        ['XYZ', 17, t(5), t(7)],
        ['XYZ', 25, t(3), t(6)],
        ['XYZ', 26, t(1), t(4)],
      ]);
    });
  });
});
