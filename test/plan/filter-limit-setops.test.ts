/** Binding and EXPLAIN of `agg(…) FILTER (WHERE …)`, `LIMIT n OFFSET m`, INTERSECT and EXCEPT. */
import { describe, expect, it } from 'vitest';
import { renderError, SluiceError } from '../../src/errors.js';
import { bindError, planText } from './helpers.js';

describe('EXPLAIN', () => {
  it('shows a filtered aggregate as written, and the CASE that feeds it only the rows the filter keeps', () => {
    expect(
      planText(`SELECT auction, COUNT(*) FILTER (WHERE price > 10) AS n, SUM(price) FILTER (WHERE channel = 'a') AS s, SUM(price) AS total
                FROM bids GROUP BY auction`),
    ).toMatchInlineSnapshot(`
      "Project: auction, COUNT(*) FILTER (WHERE price > 10) AS n, SUM(price) FILTER (WHERE channel = 'a') AS s, SUM(price) AS total  → (auction BIGINT, n BIGINT, s DOUBLE, total DOUBLE) changelog
        Aggregate: keys=[auction] aggs=[COUNT(*) FILTER (WHERE price > 10), SUM(price) FILTER (WHERE channel = 'a'), SUM(price)]  → (auction BIGINT, COUNT(*) FILTER (WHERE price > 10) BIGINT, SUM(price) FILTER (WHERE channel = 'a') DOUBLE, SUM(price) DOUBLE) changelog
          Project: auction, CASE WHEN (price > 10) THEN 1 END AS filter_arg2, CASE WHEN (channel = 'a') THEN price END AS filter_arg3, price  → (auction BIGINT, filter_arg2 INT, filter_arg3 DOUBLE, price DOUBLE) append-only
            Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, channel VARCHAR, date_time TIMESTAMP*) append-only"
    `);
  });

  it('a windowed filtered aggregate and a filtered OVER aggregate', () => {
    const w = planText(`SELECT window_start, MAX(price) FILTER (WHERE bidder > 3) AS m FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND)
                        GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
    expect(w).toContain('aggs=[MAX(price) FILTER (WHERE bidder > 3)] emit=ON WINDOW CLOSE');
    const o = planText(`SELECT auction, COUNT(*) FILTER (WHERE price > 1) OVER (PARTITION BY auction ORDER BY date_time) AS c FROM bids`);
    expect(o).toContain('CASE WHEN (price > 1) THEN 1 END');
  });

  it('LIMIT … OFFSET is a Top-N that keeps the skipped rows too', () => {
    expect(planText(`SELECT auction, price FROM bids ORDER BY price DESC LIMIT 3 OFFSET 2`)).toMatchInlineSnapshot(`
      "TopN: order=[price DESC] limit=3 offset=2  → (auction BIGINT, price DOUBLE) changelog
        Project: auction, price  → (auction BIGINT, price DOUBLE) append-only
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
  });

  it('INTERSECT / EXCEPT count each distinct row per side in an aggregate', () => {
    expect(planText(`SELECT auction FROM bids EXCEPT ALL SELECT id FROM auction`)).toMatchInlineSnapshot(`
      "SetOp: EXCEPT ALL copies=left_count - right_count  → (auction BIGINT) changelog
        Aggregate: keys=[auction] aggs=[SUM(left_count), SUM(right_count)]  → (auction BIGINT, left_count BIGINT, right_count BIGINT) changelog
          UnionAll: 2 inputs  → (auction BIGINT, left_count BIGINT, right_count BIGINT) append-only
            Project: auction, 1 AS left_count, 0 AS right_count  → (auction BIGINT, left_count BIGINT, right_count BIGINT) append-only
              Project: auction  → (auction BIGINT) append-only
                Scan: bids watermark=date_time - 4s  → (auction BIGINT, date_time TIMESTAMP*) append-only
            Project: id AS auction, 0 AS left_count, 1 AS right_count  → (auction BIGINT, left_count BIGINT, right_count BIGINT) append-only
              Project: id  → (id BIGINT) append-only
                Scan: auction watermark=date_time - 4s  → (id BIGINT, date_time TIMESTAMP*) append-only"
    `);
    expect(planText(`SELECT bidder FROM bids INTERSECT SELECT seller FROM auction`)).toContain('SetOp: INTERSECT when=left_count > 0 AND right_count > 0');
  });
});

/** [sql, code, line, column, words that must appear in the message] */
const ERRORS: [string, string, number, number, string[]][] = [
  ['SELECT LOWER(channel) FILTER (WHERE price > 1) FROM bids', 'BIND', 1, 37, ['FILTER (WHERE …) is only allowed on aggregate functions, not on LOWER']],
  ['SELECT auction,\n  ROW_NUMBER() FILTER (WHERE price > 1) OVER (ORDER BY date_time) FROM bids', 'BIND', 2, 30, ['only allowed on aggregate functions, not on ROW_NUMBER()']],
  ['SELECT COUNT(*) FILTER (WHERE price) FROM bids', 'TYPE', 1, 31, ['FILTER needs a BOOLEAN condition, got DOUBLE']],
  ['SELECT COUNT(*) FILTER (WHERE SUM(price) > 1) FROM bids', 'BIND', 1, 31, ['aggregate functions are not allowed in FILTER']],
  ['SELECT COUNT(*) FILTER (WHERE nope > 1) FROM bids', 'BIND', 1, 31, ["column 'nope' not found"]],
  ['SELECT auction FROM bids ORDER BY auction LIMIT 1 OFFSET -1', 'BIND', 1, 58, ['OFFSET needs a constant whole number']],
  ['SELECT auction FROM bids ORDER BY auction LIMIT 1 OFFSET price', 'BIND', 1, 58, ["column 'price'"]],
  ['SELECT auction FROM bids INTERSECT SELECT id, seller FROM auction', 'BIND', 1, 1, ['INTERSECT inputs have different numbers of columns (1 and 2)']],
  ['SELECT channel FROM bids EXCEPT SELECT id FROM auction', 'TYPE', 1, 1, ["EXCEPT column 1 ('channel') mixes VARCHAR and BIGINT"]],
];

describe('misuse is a BIND or TYPE error at the right place', () => {
  for (const [sql, code, line, column, words] of ERRORS) {
    it(sql.replace(/\n/g, ' '), () => {
      const e = bindError(sql);
      expect(e).toBeInstanceOf(SluiceError);
      expect({ code: e.code, line: e.line, column: e.column }).toEqual({ code, line, column });
      for (const w of words) expect(e.message).toContain(w);
      expect(renderError(e, sql)).toContain('^');
    });
  }
});
