/**
 * Plans of ranking filters (src/plan/rules/top-n-ranking.ts): which bounds on ROW_NUMBER,
 * RANK and DENSE_RANK become a TopN, a TopN with ties or a Deduplicate, and which stay an
 * OVER that ranks every row; whole plan text compared, as EXPLAIN prints it.
 */
import { describe, expect, it } from 'vitest';
import { planText } from './helpers.js';

const ranked = (fn: string, where: string, order = 'price DESC', part = 'auction') =>
  `SELECT auction, price FROM (SELECT auction, price, date_time, ${fn}() OVER (PARTITION BY ${part} ORDER BY ${order}) AS r FROM bids) WHERE ${where}`;

describe('ranking filters', () => {
  it('RANK <= N is a Top-N with ties (a changelog)', () => {
    expect(planText(ranked('RANK', 'r <= 3'))).toMatchInlineSnapshot(`
      "Project: auction, price  → (auction BIGINT, price DOUBLE) changelog
        TopN(with ties): RANK partition=[auction] order=[price DESC] limit=3 rank=RANK() OVER (PARTITION BY auction ORDER BY price DESC)  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*, RANK() OVER (PARTITION BY auction ORDER BY price DESC) BIGINT) changelog
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
  });

  it('Deduplicate keep=first is append-only; keep=last a changelog keyed by the partition', () => {
    expect(planText(ranked('ROW_NUMBER', 'r = 1', 'date_time'))).toMatchInlineSnapshot(`
      "Project: auction, price  → (auction BIGINT, price DOUBLE) append-only
        Deduplicate: keep=first partition=[auction] order=[date_time] row_number=ROW_NUMBER() OVER (PARTITION BY auction ORDER BY date_time)  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY date_time) BIGINT) append-only
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
    expect(planText(ranked('ROW_NUMBER', 'r < 2', 'date_time DESC'))).toMatchInlineSnapshot(`
      "Project: auction, price  → (auction BIGINT, price DOUBLE) changelog
        Deduplicate: keep=last partition=[auction] order=[date_time DESC] row_number=ROW_NUMBER() OVER (PARTITION BY auction ORDER BY date_time DESC)  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY date_time DESC) BIGINT) changelog
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
  });

  it('a rank with a lower bound above 1 is a Top-N with ties to the upper bound, filtered on the rank', () => {
    expect(planText(ranked('RANK', 'r BETWEEN 2 AND 3'))).toMatchInlineSnapshot(`
      "Project: auction, price  → (auction BIGINT, price DOUBLE) changelog
        Filter: (RANK() OVER (PARTITION BY auction ORDER BY price DESC) >= 2)  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*, RANK() OVER (PARTITION BY auction ORDER BY price DESC) BIGINT) changelog
          TopN(with ties): RANK partition=[auction] order=[price DESC] limit=3 rank=RANK() OVER (PARTITION BY auction ORDER BY price DESC)  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*, RANK() OVER (PARTITION BY auction ORDER BY price DESC) BIGINT) changelog
            Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
    const line = (sql: string) => planText(sql).split('\n').find((l) => /TopN|Over/.test(l))!.split('  →')[0]!;
    expect(line(ranked('DENSE_RANK', 'r = 2'))).toContain('limit=2');
    expect(line(ranked('RANK', 'r > 1 AND r < 5'))).toContain('limit=4');
    // An empty range keeps nothing.
    expect(line(ranked('RANK', 'r >= 3 AND r <= 2'))).toContain('limit=0');
  });

  it('bounds in every spelling', () => {
    const line = (sql: string) => planText(sql).split('\n').find((l) => /TopN|Deduplicate|Over/.test(l))!.split('  →')[0]!;
    expect(line(ranked('ROW_NUMBER', 'r = 3'))).toContain('limit=1 offset=2');
    expect(line(ranked('ROW_NUMBER', 'r > 1 AND r <= 4'))).toContain('limit=3 offset=1');
    expect(line(ranked('ROW_NUMBER', '2 >= r'))).toContain('limit=2');
    expect(line(ranked('DENSE_RANK', 'r BETWEEN 1 AND 2'))).toContain('TopN(with ties): DENSE_RANK');
    expect(line(ranked('RANK', 'r = 1 AND price > 3'))).toContain('limit=1');
    // No upper bound: every row is ranked.
    expect(line(ranked('DENSE_RANK', 'r >= 1'))).toMatch(/^\s*Over:/);
    // Ordered by event time without PARTITION BY: a Top-N, answered before the watermark moves.
    expect(line(`SELECT auction FROM (SELECT auction, ROW_NUMBER() OVER (ORDER BY date_time) AS r FROM bids) WHERE r = 1`)).toContain('TopN:');
  });
});
