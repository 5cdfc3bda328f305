-- Replaces the published rows of the days recomputed by the audited new ones, inside the job's
-- transaction: every row in a full rebuild, the ranges plan.sql chose in an incremental one
-- (a day deleted from loans disappears, a new one appears, the other days are not touched and
-- keep their created_at). DELETE + INSERT rather than TRUNCATE or a rename: readers are never
-- blocked and, thanks to MVCC, see either the whole old version or the whole new one, even inside
-- a REPEATABLE READ transaction that started before the publish. The cost is one dead row version
-- per row written, which autovacuum reclaims (README, "Publishing").
DELETE FROM default_liquidation_rolling_avg_hist h
USING pg_temp.default_liquidation_rolling_avg_hist_scope s
WHERE h.repayment_date BETWEEN s.from_date AND s.to_date;

INSERT INTO default_liquidation_rolling_avg_hist
  (repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d, created_at)
SELECT repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d, created_at
FROM pg_temp.default_liquidation_rolling_avg_hist_next;

-- The changes are now reflected: consumed. Only those plan.sql saw; one committed since stays
-- for the next refresh.
DELETE FROM loans_changes c
USING pg_temp.default_liquidation_rolling_avg_hist_changes consumed
WHERE c.change_id = consumed.change_id;

-- What the table now is built with, for the next incremental refresh.
MERGE INTO default_liquidation_rolling_avg_hist_state s
USING pg_temp.default_liquidation_rolling_avg_hist_plan p ON true
WHEN MATCHED THEN
  UPDATE SET window_days = p.window_days, include_current_day = p.include_current_day, mode = p.mode,
             refreshed_at = now()
WHEN NOT MATCHED THEN
  INSERT (window_days, include_current_day, mode, refreshed_at)
  VALUES (p.window_days, p.include_current_day, p.mode, now());

DROP TABLE pg_temp.default_liquidation_rolling_avg_hist_next,
           pg_temp.default_liquidation_rolling_avg_hist_scope,
           pg_temp.default_liquidation_rolling_avg_hist_plan,
           pg_temp.default_liquidation_rolling_avg_hist_changes;
