-- Extra benchmark hop_count: bids per auction in 10-second windows sliding by 2 seconds
-- (q5's inner aggregate). Each bid counts in 5 windows; a window's rows are emitted once,
-- when it closes.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE MATERIALIZED VIEW hop_count AS
SELECT auction, COUNT(*) AS num, window_start, window_end
FROM HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
GROUP BY auction, window_start, window_end
EMIT ON WINDOW CLOSE;

SELECT * FROM hop_count ORDER BY num DESC, window_start, auction LIMIT 10;
