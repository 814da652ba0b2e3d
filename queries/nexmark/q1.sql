-- Nexmark q1: currency conversion. Every bid with its price converted from dollars to
-- euros (x 0.908), an exact DECIMAL(23, 3) as in the reference.
-- Stateless: a view with a blackhole sink; the last statement shows a few rows.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE VIEW q1 AS
SELECT auction, bidder, CAST(0.908 * price AS DECIMAL(23, 3)) AS price, date_time, extra FROM bid;

CREATE SINK q1_sink FROM q1 WITH (connector = 'blackhole');

SELECT COUNT(*) AS bids, MAX(price) AS max_euros FROM q1;
