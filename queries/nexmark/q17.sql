-- Nexmark q17: auction statistics per day. Per auction and day: bids in total and per
-- price rank, and the minimum, maximum, average and sum of the prices (AVG is a DOUBLE,
-- SPEC 2.5). FILTER clauses written as CASE, DATE_FORMAT as a substring, as in q15.
-- A running aggregate: updated after every batch (EMIT CHANGES).

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE MATERIALIZED VIEW q17 AS
SELECT
  auction,
  SUBSTRING(CAST(date_time AS VARCHAR), 1, 10) AS day,
  COUNT(*) AS total_bids,
  COUNT(CASE WHEN price < 10000 THEN 1 END) AS rank1_bids,
  COUNT(CASE WHEN price >= 10000 AND price < 1000000 THEN 1 END) AS rank2_bids,
  COUNT(CASE WHEN price >= 1000000 THEN 1 END) AS rank3_bids,
  MIN(price) AS min_price,
  MAX(price) AS max_price,
  AVG(price) AS avg_price,
  SUM(price) AS sum_price
FROM bid
GROUP BY auction, SUBSTRING(CAST(date_time AS VARCHAR), 1, 10);

SELECT * FROM q17 ORDER BY total_bids DESC, auction LIMIT 10;
