-- The read side: pull queries, answered by DuckDB over the projections' tables.
SELECT account_id, balance_cents, events FROM balances ORDER BY account_id;

SELECT account_id, strftime(month, '%Y-%m') AS month, deposits_cents, withdrawals_cents, movements,
       SUM(deposits_cents - withdrawals_cents) OVER (PARTITION BY account_id ORDER BY month) AS closing_balance_cents
FROM monthly_statements ORDER BY account_id, month;

SELECT account_id, balance_cents FROM overdraft_alerts ORDER BY account_id;

-- The alert log: every change of overdraft_alerts, each with the event that caused it (the
-- source and its offset: for this file source, the byte position of the event's line).
SELECT op, account_id, balance_cents, source, "offset" FROM CHANGES(overdraft_alerts) ORDER BY seq;
