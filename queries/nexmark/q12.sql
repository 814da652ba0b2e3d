-- Nexmark q12: bids per bidder in 10-second tumbling windows. The reference windows by
-- processing time (PROCTIME()); here by event time, so the result is deterministic and can
-- be checked against batch SQL. A window's rows are emitted once, when it closes.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE MATERIALIZED VIEW q12 AS
SELECT bidder, COUNT(*) AS bid_count, window_start AS starttime, window_end AS endtime
FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND)
GROUP BY bidder, window_start, window_end
EMIT ON WINDOW CLOSE;

SELECT * FROM q12 ORDER BY bid_count DESC, bidder, starttime LIMIT 10;
