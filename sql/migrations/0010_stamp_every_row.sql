-- Every refresh now writes every row it recomputes (a full refresh: every row), so that
-- created_at shows the refresh that produced the table even when the data did not change, as the
-- table was meant to; the time a row's numbers last changed moves to a column of its own.

-- Half of each page left free: room for a new version of every row of the page, so that
-- rewriting the whole table every minute is a HOT update in place (no new index entries, the old
-- versions pruned by the next refresh) rather than a table and an index that double until
-- vacuumed (sql/jobs/default_liquidation_rolling_avg_hist/publish.sql).
ALTER TABLE default_liquidation_rolling_avg_hist SET (fillfactor = 50);
ALTER TABLE default_liquidation_rolling_avg_hist ADD COLUMN changed_at timestamptz;
-- One statement that rewrites the table once, at the new fillfactor and without dead rows (an
-- UPDATE would leave every old version behind): changed_at starts as created_at, and the numbers
-- get the one text per value a refresh now stores, trim_scale() of what it computes (build.sql).
ALTER TABLE default_liquidation_rolling_avg_hist
  ALTER COLUMN changed_at TYPE timestamptz USING created_at,
  ALTER COLUMN liquidation_to_default_ratio TYPE numeric USING trim_scale(liquidation_to_default_ratio),
  ALTER COLUMN rolling_avg_7d TYPE numeric USING trim_scale(rolling_avg_7d);
ALTER TABLE default_liquidation_rolling_avg_hist ALTER COLUMN changed_at SET NOT NULL;

COMMENT ON COLUMN default_liquidation_rolling_avg_hist.created_at IS
  'when the refresh that last wrote the row ran (start of its transaction): a full refresh, the default and what the scheduler runs, writes every row, so all rows carry its time; an incremental refresh writes the rows it recomputed';
COMMENT ON COLUMN default_liquidation_rolling_avg_hist.changed_at IS
  'when a refresh last changed the row''s numbers, or first wrote the row (start of its transaction)';
COMMENT ON COLUMN default_liquidation_rolling_avg_hist.liquidation_to_default_ratio IS
  'liquidations / defaults, NULL when defaults = 0; at least 16 significant digits, without trailing zeros';
COMMENT ON COLUMN default_liquidation_rolling_avg_hist.rolling_avg_7d IS
  'mean of the non-NULL ratios in the calendar window of the row''s day, NULL when none; at least 16 significant digits, without trailing zeros';
