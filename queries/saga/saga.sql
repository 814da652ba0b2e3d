-- An order saga: order placed -> payment -> shipment, each step an event in its own stream.
-- A step that does not follow within its time bound is detected by a LEFT interval join that
-- emits the unmatched row once, only when the watermark has passed the bound, and each such
-- timeout becomes a compensation event in compensations.jsonl.
CREATE SOURCE orders (
  order_id BIGINT, customer VARCHAR, amount_cents BIGINT, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE
) WITH (connector = 'file', path = 'orders.jsonl', format = 'jsonl');
CREATE SOURCE payments (
  order_id BIGINT, amount_cents BIGINT, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE
) WITH (connector = 'file', path = 'payments.jsonl', format = 'jsonl');
CREATE SOURCE shipments (
  order_id BIGINT, carrier VARCHAR, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE
) WITH (connector = 'file', path = 'shipments.jsonl', format = 'jsonl');

-- Step 2 must follow step 1 within 15 minutes: an order no payment met in time. The row
-- comes once the payments' watermark is past placed_at + 15 minutes, never before.
CREATE MATERIALIZED VIEW unpaid_orders AS
SELECT o.order_id, o.customer, o.ts + INTERVAL '15' MINUTE AS deadline
FROM orders o LEFT JOIN payments p
  ON p.order_id = o.order_id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '15' MINUTE
WHERE p.order_id IS NULL
EMIT ON WINDOW CLOSE;

-- Step 3 must follow step 2 within 1 hour: a payment no shipment met in time.
CREATE MATERIALIZED VIEW unshipped_payments AS
SELECT p.order_id, p.amount_cents, p.ts + INTERVAL '1' HOUR AS deadline
FROM payments p LEFT JOIN shipments s
  ON s.order_id = p.order_id AND s.ts BETWEEN p.ts AND p.ts + INTERVAL '1' HOUR
WHERE s.order_id IS NULL
EMIT ON WINDOW CLOSE;

-- The compensating actions, append-only: cancel an unpaid order, refund an unshipped payment.
CREATE MATERIALIZED VIEW compensations AS
SELECT order_id, 'cancel_order' AS action, 'no payment within 15 minutes' AS reason, deadline FROM unpaid_orders
UNION ALL
SELECT order_id, 'refund_payment' AS action, 'not shipped within 1 hour of payment' AS reason, deadline FROM unshipped_payments;

CREATE SINK compensation_events FROM compensations
  WITH (connector = 'file', path = 'compensations.jsonl', format = 'jsonl');

SELECT order_id, action, reason, deadline FROM compensations ORDER BY deadline, order_id;
