-- A refresh writes only the rows whose numbers changed (sql/jobs/default_liquidation_rolling_avg_hist/
-- build.sql), so created_at no longer has one value per rebuild, as 0002's comment says; the
-- catalog says what it is now (Adminer shows it).
COMMENT ON COLUMN default_liquidation_rolling_avg_hist.created_at IS
  'when the refresh that last changed the row ran (start of its transaction); unchanged rows keep theirs';
