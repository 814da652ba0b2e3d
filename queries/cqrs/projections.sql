-- Projections: read models kept current, event by event, from account_events.

-- The balance of each account, and how many events made it.
CREATE MATERIALIZED VIEW balances AS
SELECT account_id,
       SUM(CASE kind WHEN 'deposited' THEN amount_cents WHEN 'withdrawn' THEN -amount_cents ELSE 0 END) AS balance_cents,
       COUNT(*) AS events
FROM account_events
GROUP BY account_id;

-- A statement per account and calendar month (UTC).
CREATE MATERIALIZED VIEW monthly_statements AS
SELECT account_id,
       DATE_TRUNC('month', ts) AS month,
       SUM(CASE WHEN kind = 'deposited' THEN amount_cents ELSE 0 END) AS deposits_cents,
       SUM(CASE WHEN kind = 'withdrawn' THEN amount_cents ELSE 0 END) AS withdrawals_cents,
       COUNT(*) AS movements
FROM account_events
GROUP BY account_id, DATE_TRUNC('month', ts);

-- The accounts overdrawn now. Its change history, CHANGES(overdraft_alerts), is the alert
-- log: +I when an account goes below zero, -D when it is back above, each naming the event
-- that caused it.
CREATE MATERIALIZED VIEW overdraft_alerts AS
SELECT account_id, balance_cents FROM balances WHERE balance_cents < 0;
