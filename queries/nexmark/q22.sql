-- Nexmark q22: get substring of url. Every bid with the first three directories of its
-- url (from RisingWave's suite; the reference has no q22).
-- Stateless: a view with a blackhole sink; the last statement counts rows per first directory.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE VIEW q22 AS
SELECT auction, bidder, price, channel,
  SPLIT_PART(url, '/', 4) AS dir1,
  SPLIT_PART(url, '/', 5) AS dir2,
  SPLIT_PART(url, '/', 6) AS dir3
FROM bid;

CREATE SINK q22_sink FROM q22 WITH (connector = 'blackhole');

SELECT dir1, COUNT(*) AS bids FROM q22 GROUP BY dir1 ORDER BY bids DESC LIMIT 10;
