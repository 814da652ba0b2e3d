-- Nexmark q14: calculation. Bids priced between 1,000,000 and 50,000,000 euros, converted
-- to euros and labelled by the hour of their time (dayTime 8-18, nightTime up to 6 and
-- from 20, otherTime between), with the number of letters 'c' in extra. The reference
-- counts them with a Java UDF (count_char); here with LENGTH and REPLACE. HOUR(t) is
-- EXTRACT(HOUR FROM t). The price is an exact DECIMAL(23, 3), as in the reference.
-- Stateless: a view with a blackhole sink; the last statement counts rows per label.

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = 100000);

CREATE VIEW q14 AS
SELECT auction, bidder, CAST(0.908 * price AS DECIMAL(23, 3)) AS price,
  CASE
    WHEN EXTRACT(HOUR FROM date_time) >= 8 AND EXTRACT(HOUR FROM date_time) <= 18 THEN 'dayTime'
    WHEN EXTRACT(HOUR FROM date_time) <= 6 OR EXTRACT(HOUR FROM date_time) >= 20 THEN 'nightTime'
    ELSE 'otherTime'
  END AS bid_time_type,
  date_time, extra,
  LENGTH(extra) - LENGTH(REPLACE(extra, 'c', '')) AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;

CREATE SINK q14_sink FROM q14 WITH (connector = 'blackhole');

SELECT bid_time_type, COUNT(*) AS bids FROM q14 GROUP BY bid_time_type;
