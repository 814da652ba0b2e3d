-- Extra benchmark tumble_max: the highest bid price of every 10-second tumbling window
-- (q7's inner aggregate), emitted once per window when it closes.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE MATERIALIZED VIEW tumble_max AS
SELECT window_start, window_end, MAX(price) AS max_price
FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND)
GROUP BY window_start, window_end
EMIT ON WINDOW CLOSE;

SELECT * FROM tumble_max ORDER BY window_start LIMIT 10;
