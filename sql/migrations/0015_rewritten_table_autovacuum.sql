-- default_liquidation_rolling_avg_hist is rewritten whole by every full refresh, every minute by
-- default, as HOT updates: the next refresh prunes the versions this one left behind, page by page,
-- and reuses their room (docs/rolling-average.md, "How it publishes"). So after each refresh the
-- table holds one refresh's worth of dead versions (as many as it has rows) that need no VACUUM,
-- and every one of its rows counts as changed since the last ANALYZE.
--
-- With the default thresholds (20% of the rows dead, 10% changed) autovacuum would vacuum and
-- analyze it after every refresh, reading the whole table for nothing. These thresholds leave it
-- alone until more than two refreshes' worth of versions are dead, which happens only when pruning
-- could not keep up (a long-running snapshot held the old versions), and analyze it about every
-- tenth refresh. No vacuum is triggered by inserts either (the first build inserts every row):
-- such a vacuum sets the visibility map and freezes rows, and the next refresh rewrites them all.
-- A refresh keeps autovacuum off the table while it runs (plan.sql) and cancels one it finds
-- running, after a wait of deadlock_timeout (1 s): a vacuum that is wanted but never finishes
-- would cost every refresh that wait.
ALTER TABLE default_liquidation_rolling_avg_hist SET (
  autovacuum_vacuum_scale_factor = 2,
  autovacuum_vacuum_insert_threshold = -1,
  autovacuum_analyze_scale_factor = 10
);
