/** Subqueries in expressions: their plans (SemiJoin / AntiJoin, joins to aggregates) and the forms refused. */
import { describe, expect, it } from 'vitest';
import { bindError, planText } from './helpers.js';

describe('subquery plans', () => {
  it('IN (SELECT …) is a semi join', () => {
    expect(planText(`SELECT auction, price FROM bids WHERE auction IN (SELECT id FROM auction WHERE category = 10)`)).toMatchInlineSnapshot(`
      "Project: auction, price  → (auction BIGINT, price DOUBLE) append-only
        SemiJoin: keys=[auction = id]  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
          Project: id  → (id BIGINT) append-only
            Filter: (category = 10)  → (id BIGINT, category BIGINT, date_time TIMESTAMP*) append-only
              Scan: auction watermark=date_time - 4s  → (id BIGINT, category BIGINT, date_time TIMESTAMP*) append-only"
    `);
  });
  it('NOT IN is a null-aware anti join; correlated NOT EXISTS an anti join on the correlation key', () => {
    expect(planText(`SELECT auction FROM bids WHERE auction NOT IN (SELECT id FROM auction)`)).toMatchInlineSnapshot(`
      "Project: auction  → (auction BIGINT) changelog
        AntiJoin: keys=[auction = id] null-aware (NOT IN)  → (auction BIGINT, date_time TIMESTAMP*) changelog
          Scan: bids watermark=date_time - 4s  → (auction BIGINT, date_time TIMESTAMP*) append-only
          Project: id  → (id BIGINT) append-only
            Scan: auction watermark=date_time - 4s  → (id BIGINT, date_time TIMESTAMP*) append-only"
    `);
    expect(planText(`SELECT id FROM auction AS a WHERE NOT EXISTS (SELECT * FROM bids AS b WHERE b.auction = a.id AND b.price > 100)`)).toMatchInlineSnapshot(`
      "Project: id  → (id BIGINT) changelog
        AntiJoin: keys=[id = corr_key1]  → (id BIGINT, date_time TIMESTAMP*) changelog
          Scan: auction watermark=date_time - 4s  → (id BIGINT, date_time TIMESTAMP*) append-only
          Project: b.auction AS corr_key1  → (corr_key1 BIGINT) append-only
            Filter: (b.price > 100)  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
              Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
  });
  it('a correlated scalar aggregate is grouped by the correlation key and LEFT joined back', () => {
    expect(planText(`SELECT id, (SELECT COUNT(*) FROM bids AS b WHERE b.auction = a.id) AS n FROM auction AS a`)).toMatchInlineSnapshot(`
      "Project: id, CASE WHEN (subquery_present IS NULL) THEN 0 ELSE COUNT(*) END AS n  → (id BIGINT, n BIGINT) changelog
        Join: LEFT keys=[id = corr_key1] output=[id, COUNT(*), subquery_present]  → (id BIGINT, COUNT(*) BIGINT, subquery_present BOOLEAN) changelog
          Scan: auction watermark=date_time - 4s  → (id BIGINT, date_time TIMESTAMP*) append-only
          Project: auction AS corr_key1, COUNT(*), TRUE AS subquery_present  → (corr_key1 BIGINT, COUNT(*) BIGINT, subquery_present BOOLEAN) changelog
            Aggregate: keys=[auction] aggs=[COUNT(*)]  → (auction BIGINT, COUNT(*) BIGINT) changelog
              Project: b.auction  → (auction BIGINT) append-only
                Scan: bids watermark=date_time - 4s  → (auction BIGINT, date_time TIMESTAMP*) append-only"
    `);
  });
  it('an uncorrelated scalar aggregate is a CROSS join to the global aggregate', () => {
    expect(planText(`SELECT auction, price FROM bids WHERE price > (SELECT AVG(price) FROM bids)`)).toMatchInlineSnapshot(`
      "Join: CROSS condition=(price > AVG(price)) output=[auction, price]  → (auction BIGINT, price DOUBLE) changelog
        Scan: bids watermark=date_time - 4s  → (auction BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
        Aggregate: keys=[] aggs=[AVG(price)]  → (AVG(price) DOUBLE) changelog
          Project: price  → (price DOUBLE) append-only
            Scan: bids watermark=date_time - 4s  → (price DOUBLE, date_time TIMESTAMP*) append-only"
    `);
  });
  it('elsewhere EXISTS and IN are mark joins: a BOOLEAN column with their value', () => {
    expect(
      planText(`SELECT auction, auction IN (SELECT id FROM auction) AS known FROM bids AS b
        WHERE price > 100 OR EXISTS (SELECT 1 FROM auction AS a WHERE a.seller = b.bidder)`),
    ).toMatchInlineSnapshot(`
      "Project: auction, subquery_mark2 AS known  → (auction BIGINT, known BOOLEAN) changelog
        SemiJoin: keys=[auction = id] mark=subquery_mark2 (IN)  → (auction BIGINT, bidder BIGINT, price DOUBLE, date_time TIMESTAMP*, subquery_mark1 BOOLEAN, subquery_mark2 BOOLEAN) changelog
          Filter: ((price > 100) OR subquery_mark1)  → (auction BIGINT, bidder BIGINT, price DOUBLE, date_time TIMESTAMP*, subquery_mark1 BOOLEAN) changelog
            SemiJoin: keys=[bidder = corr_key1] mark=subquery_mark1 (EXISTS)  → (auction BIGINT, bidder BIGINT, price DOUBLE, date_time TIMESTAMP*, subquery_mark1 BOOLEAN) changelog
              Scan: bids watermark=date_time - 4s  → (auction BIGINT, bidder BIGINT, price DOUBLE, date_time TIMESTAMP*) append-only
              Project: a.seller AS corr_key1  → (corr_key1 BIGINT) append-only
                Scan: auction watermark=date_time - 4s  → (seller BIGINT, date_time TIMESTAMP*) append-only
          Project: id  → (id BIGINT) append-only
            Scan: auction watermark=date_time - 4s  → (id BIGINT, date_time TIMESTAMP*) append-only"
    `);
  });
  it('over a window table function the semi join goes below the window assignment', () => {
    expect(
      planText(`SELECT window_start, COUNT(*) AS n FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND)
        WHERE auction IN (SELECT id FROM auction WHERE category = 10) GROUP BY window_start, window_end`),
    ).toMatchInlineSnapshot(`
      "Project: window_start, COUNT(*) AS n  → (window_start TIMESTAMP*, n BIGINT) changelog
        WindowAggregate: TUMBLE(date_time, size=10s) keys=[] aggs=[COUNT(*)] emit=CHANGES  → (window_start TIMESTAMP*, window_end TIMESTAMP*, window_time TIMESTAMP*, COUNT(*) BIGINT) changelog
          Project: date_time  → (date_time TIMESTAMP*) append-only
            SemiJoin: keys=[auction = id]  → (auction BIGINT, date_time TIMESTAMP*) append-only
              Scan: bids watermark=date_time - 4s  → (auction BIGINT, date_time TIMESTAMP*) append-only
              Project: id  → (id BIGINT) append-only
                Filter: (category = 10)  → (id BIGINT, category BIGINT, date_time TIMESTAMP*) append-only
                  Scan: auction watermark=date_time - 4s  → (id BIGINT, category BIGINT, date_time TIMESTAMP*) append-only"
    `);
  });
});

describe('subquery forms that stay out are refused with the form and its position', () => {
  const refused = (sql: string, code: string, message: RegExp, at: string) => {
    const e = bindError(sql);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    const before = sql.slice(0, sql.indexOf(at)).split('\n');
    expect([e.line, e.column]).toEqual([before.length, before.at(-1)!.length + 1]);
  };

  it('in GROUP BY, HAVING and ON', () => {
    refused(
      `SELECT COUNT(*) FROM bids GROUP BY (SELECT MAX(price) FROM bids)`,
      'UNSUPPORTED',
      /a scalar subquery \(SELECT …\) in GROUP BY is not supported/,
      '(SELECT MAX',
    );
    refused(
      `SELECT auction FROM bids GROUP BY auction\nHAVING COUNT(*) > (SELECT AVG(price) FROM bids)`,
      'UNSUPPORTED',
      /in HAVING is not supported/,
      '(SELECT AVG',
    );
    refused(
      `SELECT b.price FROM bids AS b JOIN auction AS a ON a.id = b.auction AND EXISTS (SELECT 1 FROM orders)`,
      'UNSUPPORTED',
      /EXISTS \(SELECT …\) in a join condition is not supported/,
      'EXISTS',
    );
  });

  it('a correlation other than inner = outer equalities', () => {
    refused(
      `SELECT auction FROM bids AS b WHERE EXISTS (\n  SELECT 1 FROM auction AS a WHERE a.id = b.auction AND a.reserve > b.price)`,
      'UNSUPPORTED',
      /correlated condition 'a.reserve > b.price' is not supported/,
      'a.reserve >',
    );
    refused(
      `SELECT auction FROM bids AS b WHERE auction IN (SELECT id + b.bidder FROM auction AS a WHERE a.seller = b.bidder)`,
      'UNSUPPORTED',
      /outer column 'b.bidder' is used outside the subquery's WHERE/,
      'b.bidder FROM',
    );
  });

  it('scalar subqueries that are not one aggregate row, subqueries in aggregating SELECT lists', () => {
    refused(`SELECT auction, (SELECT price FROM bids) AS p FROM bids`, 'UNSUPPORTED', /a scalar subquery must compute one aggregate row/, '(SELECT price');
    refused(
      `SELECT auction, COUNT(*), (SELECT MAX(price) FROM bids) FROM bids GROUP BY auction`,
      'UNSUPPORTED',
      /in the SELECT list of a query with GROUP BY or aggregates is not supported/,
      '(SELECT MAX',
    );
    refused(`SELECT auction FROM bids WHERE auction IN (SELECT id, seller FROM auction)`, 'BIND', /needs a subquery of one column, got 2/, 'SELECT id');
  });
});
