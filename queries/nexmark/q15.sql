-- Nexmark q15: bidding statistics per day. Per day: bids, distinct bidders and distinct
-- auctions, in total and per price rank (below 10,000; up to 1,000,000; above). The
-- reference's aggregate FILTER (WHERE …) clauses are written as CASE inside the aggregate
-- (the same result); DATE_FORMAT(t, 'yyyy-MM-dd') as the first 10 characters of t's text.
-- A running aggregate: updated after every batch (EMIT CHANGES).

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE MATERIALIZED VIEW q15 AS
SELECT
  SUBSTRING(CAST(date_time AS VARCHAR), 1, 10) AS day,
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
GROUP BY SUBSTRING(CAST(date_time AS VARCHAR), 1, 10);

SELECT * FROM q15 ORDER BY day;
