-- Nexmark q19: auction top-10 price. The 10 highest bids of every auction: a top-N per
-- key with ROW_NUMBER.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE MATERIALIZED VIEW q19 AS
SELECT *
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number
  FROM bid
) AS B
WHERE rank_number <= 10;

SELECT auction, price, rank_number FROM q19 ORDER BY auction, rank_number LIMIT 10;
