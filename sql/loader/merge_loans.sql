-- Upserts the staged rows into loans. A day whose numbers did not change is not touched
-- (no new row version, no updated_at change), so loading the same file twice changes nothing.
WITH merged AS (
  INSERT INTO loans AS l (repayment_date, number_of_loans, defaults, liquidations, load_id)
  SELECT repayment_date, number_of_loans, defaults, liquidations, load_id
  FROM loans_staging
  ON CONFLICT (repayment_date) DO UPDATE
    SET number_of_loans = excluded.number_of_loans,
        defaults        = excluded.defaults,
        liquidations    = excluded.liquidations,
        load_id         = excluded.load_id,
        updated_at      = now()
    WHERE (l.number_of_loans, l.defaults, l.liquidations)
          IS DISTINCT FROM (excluded.number_of_loans, excluded.defaults, excluded.liquidations)
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int     AS inserted,
       count(*) FILTER (WHERE NOT inserted)::int AS updated
FROM merged;
