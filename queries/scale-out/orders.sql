-- A scale-out group job (README: Scale-out groups). Orders arrive on the JetStream stream
-- ORDERS, subject orders.<p> for partition p = a hash of the customer; every member of the
-- group runs this file and owns some of the 4 partitions. Each view is split by customer,
-- so the members' partitions together hold it whole.
--
--   nats stream add ORDERS --subjects 'orders.*' --defaults     (or let app.ts create it)
--   sluice run queries/scale-out/orders.sql --group shop --db member1.duckdb
--   node dist/queries/scale-out/app.js                          (a member inside an app)

CREATE SOURCE orders (
  customer BIGINT, amount DECIMAL(12,2), ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (connector = 'nats', stream = 'ORDERS', subject = 'orders.*', partitions = 4, key = 'customer');

-- Totals per customer: the read side every order updates.
CREATE MATERIALIZED VIEW totals AS
SELECT customer, COUNT(*) AS orders, SUM(amount) AS spent, MAX(ts) AS last_order
FROM orders GROUP BY customer;

-- Spending per customer and minute.
CREATE MATERIALIZED VIEW per_minute AS
SELECT customer, window_start, COUNT(*) AS orders, SUM(amount) AS spent
FROM TUMBLE(orders, ts, INTERVAL '1' MINUTE)
GROUP BY customer, window_start, window_end;
