-- Row updates of the published table so far, how many of them were HOT (the new version on the
-- same page, no new index entry), and how many times autovacuum processed it, from the cumulative
-- statistics. Each backend reports its counts asynchronously (at the latest when it exits), so a
-- reading just after a run may miss some of it: approximate.
SELECT n_tup_upd::float8 AS rows,
       n_tup_hot_upd::float8 AS hot,
       autovacuum_count::float8 AS autovacuums
FROM pg_stat_user_tables
WHERE relid = 'default_liquidation_rolling_avg_hist'::regclass;
