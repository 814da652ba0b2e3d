-- A card-testing fraud rule: a small charge (under 2.00) followed by a large one (500.00 or
-- more) on the same card within 10 minutes, with any charges in between. Charges arrive up to
-- 30 seconds out of order; MATCH_RECOGNIZE orders each card's charges by event time once the
-- watermark has passed them, so the matches do not depend on arrival order.
CREATE SOURCE charges (
  card_id VARCHAR,
  merchant VARCHAR,
  amount_cents BIGINT,
  ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (connector = 'file', path = 'charges.jsonl', format = 'jsonl');

-- One row per suspicious pair. MID*? is reluctant: the first large charge ends the match.
-- WITHIN bounds the match (and the state kept for it): c2's large charge comes 11 minutes
-- after its small one and is not reported.
CREATE MATERIALIZED VIEW suspicious_cards AS
SELECT * FROM charges
MATCH_RECOGNIZE (
  PARTITION BY card_id
  ORDER BY ts
  MEASURES
    SMALL.ts AS probe_at,
    SMALL.merchant AS probe_merchant,
    SMALL.amount_cents AS probe_cents,
    BIG.ts AS fraud_at,
    BIG.merchant AS fraud_merchant,
    BIG.amount_cents AS fraud_cents,
    COUNT(MID.*) AS charges_between
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (SMALL MID*? BIG) WITHIN INTERVAL '10' MINUTE
  DEFINE
    SMALL AS SMALL.amount_cents < 200,
    BIG AS BIG.amount_cents >= 50000
) AS f;

SELECT * FROM suspicious_cards ORDER BY fraud_at;

-- c5's 500.00+ charge at 10:20 arrives when the watermark is already at 10:29:30: it is
-- late, left out of the match it would have completed, and recorded.
SELECT source, "offset", event_time, watermark, "view" FROM sluice_late_events ORDER BY "offset";
