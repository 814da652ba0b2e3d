-- Nexmark q16: channel statistics per day. q15 per channel and day, with the last minute
-- (HH:mm) seen. FILTER clauses are written as CASE inside the aggregate and DATE_FORMAT as
-- substrings of the timestamp's text, as in q15.
-- A running aggregate: updated after every batch (EMIT CHANGES).

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE MATERIALIZED VIEW q16 AS
SELECT
  channel,
  SUBSTRING(CAST(date_time AS VARCHAR), 1, 10) AS day,
  MAX(SUBSTRING(CAST(date_time AS VARCHAR), 12, 5)) AS minute,
  COUNT(*) AS total_bids,
  COUNT(CASE WHEN price < 10000 THEN 1 END) AS rank1_bids,
  COUNT(CASE WHEN price >= 10000 AND price < 1000000 THEN 1 END) AS rank2_bids,
  COUNT(CASE WHEN price >= 1000000 THEN 1 END) AS rank3_bids,
  COUNT(DISTINCT bidder) AS total_bidders,
  COUNT(DISTINCT CASE WHEN price < 10000 THEN bidder END) AS rank1_bidders,
  COUNT(DISTINCT CASE WHEN price >= 10000 AND price < 1000000 THEN bidder END) AS rank2_bidders,
  COUNT(DISTINCT CASE WHEN price >= 1000000 THEN bidder END) AS rank3_bidders,
  COUNT(DISTINCT auction) AS total_auctions,
  COUNT(DISTINCT CASE WHEN price < 10000 THEN auction END) AS rank1_auctions,
  COUNT(DISTINCT CASE WHEN price >= 10000 AND price < 1000000 THEN auction END) AS rank2_auctions,
  COUNT(DISTINCT CASE WHEN price >= 1000000 THEN auction END) AS rank3_auctions
FROM bid
GROUP BY channel, SUBSTRING(CAST(date_time AS VARCHAR), 1, 10);

SELECT * FROM q16 ORDER BY total_bids DESC, channel LIMIT 10;
