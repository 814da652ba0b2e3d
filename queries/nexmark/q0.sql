-- Nexmark q0: pass-through. Every bid, projected to five columns and discarded: the
-- cost of generating and moving events, nothing more.
-- Stateless, so it runs as a view with a blackhole sink (as the reference does); the last
-- statement counts its rows.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE VIEW q0 AS
SELECT auction, bidder, price, date_time, extra FROM bid;

CREATE SINK q0_sink FROM q0 WITH (connector = 'blackhole');

SELECT COUNT(*) AS bids FROM q0;
