/**
 * The functions of issue 15 item 8 in plans: EXPLAIN names each one (the operators by the
 * function they stand for), and a constant argument that can never work is refused when
 * the query is bound, at its position.
 */
import { describe, expect, it } from 'vitest';
import { bindError, planText } from './helpers.js';

describe('EXPLAIN shows the functions', () => {
  it('in a projection and a filter', () => {
    const text = planText(
      `SELECT DATE_FORMAT(date_time, 'yyyy-MM-dd HH:mm') AS minute, url->>'$.host' AS host,
         POSITION('/' IN url) AS slash, DATEDIFF('second', date_time, date_time + INTERVAL '1' HOUR) AS d,
         IF(price > 10, 'high', 'low') AS band, IFNULL(channel, 'none') AS ch, MD5(url) AS m, HASH(bidder) % 4 AS bucket
       FROM bids WHERE channel SIMILAR TO 'apple|google' AND STRFTIME(date_time, '%H') = '10'`,
    );
    expect(text).toMatchInlineSnapshot(`
      "Project: DATE_FORMAT(date_time, 'yyyy-MM-dd HH:mm') AS minute, JSON_EXTRACT_STRING(url, '$.host') AS host, STRPOS(url, '/') AS slash, DATE_DIFF('second', date_time, (date_time + INTERVAL '1h')) AS d, IF((price > 10), 'high', 'low') AS band, IFNULL(channel, 'none') AS ch, MD5(url) AS m, (HASH(bidder) % 4) AS bucket  → (minute VARCHAR, host VARCHAR, slash BIGINT, d BIGINT, band VARCHAR, ch VARCHAR, m VARCHAR, bucket BIGINT) append-only
        Filter: (REGEXP_FULL_MATCH(channel, 'apple|google') AND (STRFTIME(date_time, '%H') = '10'))  → (bidder BIGINT, price DOUBLE, channel VARCHAR, url VARCHAR, date_time TIMESTAMP*) append-only
          Scan: bids watermark=date_time - 4s  → (bidder BIGINT, price DOUBLE, channel VARCHAR, url VARCHAR, date_time TIMESTAMP*) append-only"
    `);
  });
});

describe('constant arguments that can never work', () => {
  it.each([
    ["SELECT DATE_FORMAT(date_time, 'yyyy-qq') FROM bids", "DATE_FORMAT: unsupported pattern letter qq in 'yyyy-qq'", 8],
    ["SELECT STRFTIME(date_time, '%Q') FROM bids", "STRFTIME: unsupported format code %Q in '%Q'", 8],
    ["SELECT DATEDIFF('lightyear', date_time, date_time) FROM bids", "DATEDIFF: unknown unit 'lightyear' (millisecond, second, minute, hour, day, week, month, quarter or year)", 8],
    ['SELECT TO_TIMESTAMP_LTZ(auction, 9) FROM bids', 'TO_TIMESTAMP_LTZ: precision must be 0 (seconds) or 3 (milliseconds), got 9', 8],
    ["SELECT url->'$.*' FROM bids", "JSON_EXTRACT: unsupported JSON path '$.*'", 8],
  ])('%s', (sql, message, column) => {
    const e = bindError(sql);
    expect([e.code, e.message, e.line, e.column]).toEqual(['BIND', message, 1, column]);
  });

  it('wrong argument types are TYPE errors at the call', () => {
    const e = bindError('SELECT 1 FROM bids WHERE POSITION(price IN url) > 0');
    expect([e.code, e.message, e.column]).toEqual(['TYPE', 'POSITION expects VARCHAR, VARCHAR, got VARCHAR, DOUBLE', 26]);
  });
});
