-- Nexmark q2: selection. The bids on every 123rd auction, with their price (the
-- reference's MOD(auction, 123) is written with %).
-- Stateless: a view with a blackhole sink; the last statement counts its rows.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE VIEW q2 AS
SELECT auction, price FROM bid WHERE auction % 123 = 0;

CREATE SINK q2_sink FROM q2 WITH (connector = 'blackhole');

SELECT COUNT(*) AS bids FROM q2;
