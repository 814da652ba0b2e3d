import { describe, expect, it } from 'vitest';
import { bind, planText } from './helpers.js';
import { explainPlan } from '../../src/plan/explain.js';
import { call } from '../../src/plan/expr.js';
import { filterNode } from '../../src/plan/node-builders.js';
import { optimize } from '../../src/plan/optimizer.js';

describe('logical plans (EXPLAIN text)', () => {
  it('stateless filter and projection, with the filter pushed below the projection and columns pruned', () => {
    expect(planText(`SELECT auction, price * 0.908 AS euros FROM bids WHERE auction % 123 = 0 AND 1 = 1`)).toMatchInlineSnapshot(`
      "Project: auction, (price * 0.908) AS euros  → (auction BIGINT, euros DOUBLE) append-only
        Filter: ((auction % 123) = 0)  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
  });

  it('HOP window aggregate emitted on window close is append-only', () => {
    expect(
      planText(
        `SELECT auction, window_start, COUNT(*) AS n FROM HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
         GROUP BY auction, window_start, window_end EMIT ON WINDOW CLOSE`,
      ),
    ).toMatchInlineSnapshot(`
      "Project: auction, window_start, COUNT(*) AS n  → (auction BIGINT, window_start TIMESTAMP*, n BIGINT) append-only
        WindowAggregate: HOP(date_time, slide=2s, size=10s) keys=[auction] aggs=[COUNT(*)] emit=ON WINDOW CLOSE  → (window_start TIMESTAMP*, window_end TIMESTAMP*, window_time TIMESTAMP*, auction BIGINT, COUNT(*) BIGINT) append-only
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, date_time TIMESTAMP*) append-only"
    `);
  });

  it('SESSION windows per partition key; the default emission is a changelog', () => {
    expect(
      planText(
        `SELECT bidder, window_start, window_end, COUNT(*) AS n
         FROM SESSION(bids PARTITION BY bidder, date_time, INTERVAL '10' SECOND) GROUP BY bidder, window_start, window_end`,
      ),
    ).toMatchInlineSnapshot(`
      "Project: bidder, window_start, window_end, COUNT(*) AS n  → (bidder BIGINT, window_start TIMESTAMP*, window_end TIMESTAMP*, n BIGINT) changelog
        WindowAggregate: SESSION(date_time, gap=10s PARTITION BY bidder) keys=[bidder] aggs=[COUNT(*)] emit=CHANGES  → (window_start TIMESTAMP*, window_end TIMESTAMP*, window_time TIMESTAMP*, bidder BIGINT, COUNT(*) BIGINT) changelog
          Scan: bids watermark=date_time - 4s  → (bidder BIGINT, date_time TIMESTAMP*) append-only"
    `);
  });

  it('group-window form with TUMBLE_START, DISTINCT aggregate and HAVING', () => {
    expect(
      planText(
        `SELECT TUMBLE_START(date_time, INTERVAL '1' MINUTE) AS ws, channel, COUNT(DISTINCT bidder) AS bidders, AVG(price) AS avg_price
         FROM bids GROUP BY TUMBLE(date_time, INTERVAL '1' MINUTE), channel HAVING COUNT(*) > 2`,
      ),
    ).toMatchInlineSnapshot(`
      "Project: window_start AS ws, channel, COUNT(DISTINCT bidder) AS bidders, AVG(price) AS avg_price  → (ws TIMESTAMP*, channel VARCHAR, bidders BIGINT, avg_price DOUBLE) changelog
        Filter: (COUNT(*) > 2)  → (window_start TIMESTAMP*, window_end TIMESTAMP*, window_time TIMESTAMP*, channel VARCHAR, COUNT(DISTINCT bidder) BIGINT, AVG(price) DOUBLE, COUNT(*) BIGINT) changelog
          WindowAggregate: TUMBLE(date_time, size=1m) keys=[channel] aggs=[COUNT(DISTINCT bidder), AVG(price), COUNT(*)] emit=CHANGES  → (window_start TIMESTAMP*, window_end TIMESTAMP*, window_time TIMESTAMP*, channel VARCHAR, COUNT(DISTINCT bidder) BIGINT, AVG(price) DOUBLE, COUNT(*) BIGINT) changelog
            Project: channel, bidder, price, date_time  → (channel VARCHAR, bidder BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
              Scan: bids watermark=date_time - 4s  → (bidder BIGINT, price DOUBLE, channel VARCHAR, date_time TIMESTAMP*) append-only"
    `);
  });

  it('a filter on a group key goes below the aggregate; a filter on an aggregate stays above', () => {
    expect(
      planText(`SELECT * FROM (SELECT auction, COUNT(*) AS c FROM bids GROUP BY auction) WHERE c > 10 AND auction > 5`),
    ).toMatchInlineSnapshot(`
      "Project: auction, COUNT(*) AS c  → (auction BIGINT, c BIGINT) changelog
        Filter: (COUNT(*) > 10)  → (auction BIGINT, COUNT(*) BIGINT) changelog
          Aggregate: keys=[auction] aggs=[COUNT(*)]  → (auction BIGINT, COUNT(*) BIGINT) changelog
            Project: auction  → (auction BIGINT) append-only
              Filter: (auction > 5)  → (auction BIGINT, date_time TIMESTAMP*) append-only
                Scan: bids watermark=date_time - 4s  → (auction BIGINT, date_time TIMESTAMP*) append-only"
    `);
  });

  it('CTE over CUMULATE with an offset', () => {
    expect(
      planText(
        `WITH t AS (SELECT window_start AS ws, auction, MAX(price) AS m
           FROM CUMULATE(bids, date_time, INTERVAL '10' SECOND, INTERVAL '1' MINUTE, INTERVAL '5' SECOND)
           GROUP BY window_start, window_end, auction)
         SELECT ws, m FROM t WHERE m > 100`,
      ),
    ).toMatchInlineSnapshot(`
      "Project: window_start AS ws, MAX(price) AS m  → (ws TIMESTAMP*, m DOUBLE) changelog
        Filter: (MAX(price) > 100)  → (window_start TIMESTAMP*, window_end TIMESTAMP*, window_time TIMESTAMP*, auction BIGINT, MAX(price) DOUBLE) changelog
          WindowAggregate: CUMULATE(date_time, step=10s, size=1m, offset=5s) keys=[auction] aggs=[MAX(price)] emit=CHANGES  → (window_start TIMESTAMP*, window_end TIMESTAMP*, window_time TIMESTAMP*, auction BIGINT, MAX(price) DOUBLE) changelog
            Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
  });

  it('UNION ALL, and an inner join whose filters go to each side', () => {
    expect(planText(`SELECT id, amount FROM orders UNION ALL SELECT CAST(auction AS INT), price FROM bids`)).toMatchInlineSnapshot(`
      "UnionAll: 2 inputs  → (id INT, amount DOUBLE) append-only
        Scan: orders  → (id INT, amount DOUBLE) append-only
        Project: CAST(auction AS INT), price  → (CAST(auction AS INT) INT, price DOUBLE) append-only
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
    expect(
      planText(`SELECT b.auction, a.seller FROM bids b JOIN auction a ON b.auction = a.id WHERE a.category = 10 AND b.price > 5`),
    ).toMatchInlineSnapshot(`
      "Join: INNER keys=[auction = id] output=[auction, seller]  → (auction BIGINT, seller BIGINT) append-only
        Filter: (b.price > 5)  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
        Filter: (a.category = 10)  → (id BIGINT, seller BIGINT, category BIGINT, date_time TIMESTAMP*) append-only
          Scan: auction watermark=date_time - 4s  → (id BIGINT, seller BIGINT, category BIGINT, date_time TIMESTAMP*) append-only"
    `);
  });

  it('an equality on expressions of each side is a hash key computed below the join, not a condition on every pair', () => {
    expect(
      planText(`SELECT b.auction, o.note FROM bids b LEFT JOIN orders o ON b.auction % 10 = o.id AND b.price > o.amount`),
    ).toMatchInlineSnapshot(`
      "Join: LEFT keys=[(b.auction % 10) = CAST(o.id AS BIGINT)] condition=(b.price > o.amount) output=[auction, note]  → (auction BIGINT, note VARCHAR) changelog
        Project: auction, price, (b.auction % 10)  → (auction BIGINT, price DOUBLE, (b.auction % 10) BIGINT) append-only
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
        Project: amount, note, CAST(o.id AS BIGINT)  → (amount DOUBLE, note VARCHAR, CAST(o.id AS BIGINT) BIGINT) append-only
          Scan: orders  → (id INT, amount DOUBLE, note VARCHAR) append-only"
    `);
  });

  it('expressions keep the qualifier the query wrote, and the one that tells apart two columns of one name in a join', () => {
    const plan = planText(
      `SELECT auction, b2.price - b1.price AS raise FROM bids b1 JOIN bids b2 USING (auction) WHERE b2.price > b1.price AND auction > 0`,
    );
    // `auction` was written bare, but both sides have it: the copy it reads (b1's) is named.
    expect(plan.split('\n').filter((l) => /^\s*(Project|Filter|Join)/.test(l)).map((l) => l.trim().split('  → ')[0])).toEqual([
      'Project: b1.auction, (b2.price - b1.price) AS raise',
      // It outputs only what the Project reads, the side named where both have the name.
      'Join: INNER keys=[auction = auction] condition=(b2.price > b1.price) output=[left.auction, left.price, right.price]',
      'Filter: (b1.auction > 0)',
    ]);
  });

  it('the rules read a join that outputs fewer columns through its output list', () => {
    const b = bind(`SELECT b.auction, a.seller, a.category FROM bids b JOIN auction a ON b.auction = a.id`);
    if (b.kind !== 'StreamQuery') throw new Error(b.kind);
    const join = b.plan;
    expect(explainPlan(join).split('\n')[0]).toContain('output=[auction, seller, category]');
    // A filter on its output column 1 (a.seller: column 3 of left ++ right) goes to the auction side.
    const seller = { kind: 'Column', index: 1, name: 'seller', type: 'BIGINT', qualifier: 'a' } as const;
    const filtered = filterNode(join, call('gt', [seller, { kind: 'Literal', value: 5, type: 'BIGINT' }], 'BOOLEAN'));
    expect(explainPlan(optimize(filtered))).toMatchInlineSnapshot(`
      "Join: INNER keys=[auction = id] output=[auction, seller, category]  → (auction BIGINT, seller BIGINT, category BIGINT) append-only
        Scan: bids watermark=date_time - 4s  → (auction BIGINT, date_time TIMESTAMP*) append-only
        Filter: (a.seller > 5)  → (id BIGINT, seller BIGINT, category BIGINT, date_time TIMESTAMP*) append-only
          Scan: auction watermark=date_time - 4s  → (id BIGINT, seller BIGINT, category BIGINT, date_time TIMESTAMP*) append-only"
    `);
  });

  it('both spellings of every window function give the same plan', () => {
    const pairs: [string, string][] = [
      [`TUMBLE(bids, date_time, INTERVAL '10' SECOND)`, `TABLE(TUMBLE(TABLE bids, DESCRIPTOR(date_time), INTERVAL '10' SECONDS))`],
      [
        `HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND, INTERVAL '1' SECOND)`,
        `TABLE(HOP(TABLE bids, DESCRIPTOR(date_time), INTERVAL '2 seconds', INTERVAL '10000' MILLISECONDS, INTERVAL '1' SECOND))`,
      ],
      [
        `CUMULATE(bids, date_time, INTERVAL '1' MINUTE, INTERVAL '1' HOUR)`,
        `TABLE(CUMULATE(TABLE bids, DESCRIPTOR(date_time), INTERVAL '60' SECONDS, INTERVAL '60 minutes'))`,
      ],
      [
        `SESSION(bids PARTITION BY bidder, date_time, INTERVAL '30' SECOND)`,
        `TABLE(SESSION(TABLE bids PARTITION BY bidder, DESCRIPTOR(date_time), INTERVAL '30' SECOND))`,
      ],
    ];
    for (const [a, b] of pairs) {
      const q = (from: string) =>
        `SELECT bidder, window_start, window_end, COUNT(*) AS n FROM ${from} GROUP BY bidder, window_start, window_end`;
      expect(planText(q(a))).toBe(planText(q(b)));
      expect(planText(q(a))).toContain('WindowAggregate');
    }
  });

  it('a query over materialized views only is a pull query for DuckDB', () => {
    expect(bind(`SELECT auction, n FROM totals WHERE n > 1 ORDER BY n DESC`)).toMatchObject({
      kind: 'PullQuery',
      sql: 'SELECT auction, n FROM totals WHERE n > 1 ORDER BY n DESC',
      asOf: [],
    });
    // An AS OF read becomes a temporary table the engine fills by replaying its plan first.
    const past = bind(`SELECT t.auction, p.n FROM totals t JOIN totals AS OF OFFSET 3 p ON t.auction = p.auction ORDER BY 1`);
    expect(past).toMatchObject({
      kind: 'PullQuery',
      sql: 'SELECT t.auction, p.n FROM totals t JOIN "sluice_as_of_0" AS "p" ON t.auction = p.auction ORDER BY 1',
    });
    expect(past.kind === 'PullQuery' && explainPlan(past.asOf[0]!.plan)).toContain('as of offset 3');
    expect(bind(`SELECT count(*) FROM sluice_late_events`).kind).toBe('PullQuery');
    expect(bind(`SELECT * FROM totals t JOIN bids b ON t.auction = b.auction`).kind).toBe('StreamQuery');
  });

  it('marks changelogs, keys and time attributes', () => {
    const agg = bind(`SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction`);
    expect(agg.kind === 'StreamQuery' && [agg.plan.appendOnly, agg.plan.uniqueKey]).toEqual([false, [0]]);
    const w = bind(
      `SELECT window_start, auction, COUNT(*) AS n FROM TUMBLE(bids, date_time, INTERVAL '1' SECOND) GROUP BY window_start, window_end, auction EMIT ON WINDOW CLOSE`,
    );
    expect(w.kind === 'StreamQuery' && [w.plan.appendOnly, w.plan.schema[0]!.timeAttr]).toEqual([true, true]);
    const f = bind(`SELECT auction FROM bids WHERE price > 1`);
    expect(f.kind === 'StreamQuery' && f.plan.appendOnly).toBe(true);
  });
});
