-- Extra benchmark q11_sessions: q11 (bids per bidder per session, 10-second gap) in the
-- SESSION table-function form, emitted once per session when it closes.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE MATERIALIZED VIEW q11_sessions AS
SELECT bidder, COUNT(*) AS bid_count, window_start, window_end
FROM SESSION(bid PARTITION BY bidder, date_time, INTERVAL '10' SECOND)
GROUP BY bidder, window_start, window_end
EMIT ON WINDOW CLOSE;

SELECT * FROM q11_sessions ORDER BY bid_count DESC, bidder LIMIT 10;
