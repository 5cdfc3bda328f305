-- Runs after publish.sql, in the same transaction: the changes of loans the refresh consumed are
-- removed from the log, and the window the table is now built with is recorded, for the next
-- incremental refresh (plan.sql).

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
