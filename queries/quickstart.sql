-- sluice quickstart: bids arrive slightly out of order; a watermark 4 seconds behind the
-- newest bid decides when each 10-second window is complete.
CREATE SOURCE bids (
  auction BIGINT,
  bidder  BIGINT,
  price   DOUBLE,
  date_time TIMESTAMP,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'file', path = 'quickstart.jsonl', format = 'jsonl');

-- Bids per auction per 10-second window, emitted once when each window closes.
CREATE MATERIALIZED VIEW bids_per_window AS
SELECT window_start, window_end, auction, COUNT(*) AS bids, MAX(price) AS top_price
FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND)
GROUP BY window_start, window_end, auction
EMIT ON WINDOW CLOSE;

-- The bid at 00:00:08 arrives after the watermark passed 00:00:10 (the 00:00:15 bid moved it
-- to 00:00:11): its window had closed, so it was dropped and recorded. The 00:00:04 bid
-- is later still.
SELECT * FROM bids_per_window ORDER BY window_start, auction;

SELECT source, "offset", event_time, watermark, "view" FROM sluice_late_events ORDER BY "offset";
