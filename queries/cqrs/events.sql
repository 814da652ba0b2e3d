-- The write side's events, replayed from a file. In the app (app.ts) the same events are
-- appended through the API to a keyed source, each with the version of its account's
-- stream it was decided on (optimistic concurrency).
CREATE SOURCE account_events (
  account_id   VARCHAR,
  kind         VARCHAR,   -- opened | deposited | withdrawn
  amount_cents BIGINT,    -- money as whole cents: exact, no float noise
  ts           TIMESTAMP
) WITH (connector = 'file', path = 'events.jsonl', format = 'jsonl');
