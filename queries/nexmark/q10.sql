-- Nexmark q10: log to file system. Every bid with its day (yyyy-MM-dd) and minute (HH:mm),
-- the partition columns of the reference's file sink. The reference's DATE_FORMAT is
-- written as substrings of the timestamp's text ('2024-01-01 00:00:00'), and the output
-- goes to a blackhole sink (as RisingWave's copy does) rather than partitioned files.
-- Stateless: a view with a blackhole sink; the last statement counts the rows per minute.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE VIEW q10 AS
SELECT auction, bidder, price, date_time, extra,
  SUBSTRING(CAST(date_time AS VARCHAR), 1, 10) AS dt,
  SUBSTRING(CAST(date_time AS VARCHAR), 12, 5) AS hm
FROM bid;

CREATE SINK q10_sink FROM q10 WITH (connector = 'blackhole');

SELECT dt, hm, COUNT(*) AS bids FROM q10 GROUP BY dt, hm ORDER BY dt, hm LIMIT 10;
