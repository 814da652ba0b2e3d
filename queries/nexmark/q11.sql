-- Nexmark q11: user sessions. How many bids each bidder made in each of their sessions
-- (a session ends after 10 seconds without a bid), in the reference's GROUP BY SESSION(…)
-- form. A session's row is emitted once, when the watermark passes its end.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE MATERIALIZED VIEW q11 AS
SELECT B.bidder, COUNT(*) AS bid_count,
  SESSION_START(B.date_time, INTERVAL '10' SECOND) AS starttime,
  SESSION_END(B.date_time, INTERVAL '10' SECOND) AS endtime
FROM bid B
GROUP BY B.bidder, SESSION(B.date_time, INTERVAL '10' SECOND)
EMIT ON WINDOW CLOSE;

SELECT * FROM q11 ORDER BY bid_count DESC, bidder LIMIT 10;
