-- Nexmark q13: bounded side input join. Every bid enriched with the value that a static
-- side table (side_input.csv beside this file: keys 0-9999) holds for auction mod 10000.
-- The join key is an expression of the bid: the planner computes it below the join and
-- hashes on it (EXPLAIN shows keys=[(B.auction % 10000) = key]).

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE SOURCE side_input (key BIGINT, value VARCHAR)
WITH (connector = 'file', path = 'side_input.csv', format = 'csv');

CREATE MATERIALIZED VIEW q13 AS
SELECT B.auction, B.bidder, B.price, B.date_time, S.value
FROM bid AS B
JOIN side_input S ON B.auction % 10000 = S.key;

SELECT * FROM q13 ORDER BY date_time LIMIT 10;
