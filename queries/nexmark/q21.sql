-- Nexmark q21: add channel id. Bids from the four hot channels, or whose url carries a
-- channel_id parameter, with that channel id (0-3 for Apple, Google, Facebook, Baidu, else
-- the url's channel_id).
-- REGEXP_EXTRACT gives '' rather than NULL when nothing matches (as DuckDB), so the
-- reference's `IS NOT NULL` test is written `<> ''`.
-- Stateless: a view with a blackhole sink; the last statement counts rows per channel id.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE VIEW q21 AS
SELECT auction, bidder, price, channel,
  CASE
    WHEN LOWER(channel) = 'apple' THEN '0'
    WHEN LOWER(channel) = 'google' THEN '1'
    WHEN LOWER(channel) = 'facebook' THEN '2'
    WHEN LOWER(channel) = 'baidu' THEN '3'
    ELSE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2)
  END AS channel_id
FROM bid
WHERE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) <> ''
  OR LOWER(channel) IN ('apple', 'google', 'facebook', 'baidu');

CREATE SINK q21_sink FROM q21 WITH (connector = 'blackhole');

SELECT channel_id, COUNT(*) AS bids FROM q21 GROUP BY channel_id ORDER BY bids DESC LIMIT 10;
