-- When each table was last written (the Overview page), one row per table, each from an index or
-- a small table: no scan of loans, the rolling average, ads or the lake's files.
SELECT 'loans' AS name,
       (SELECT max(finished_at) FROM (SELECT finished_at FROM loads WHERE status = 'succeeded'
                                      ORDER BY load_id DESC LIMIT 1) AS l) AS written_at,
       'last day ' || (SELECT max(repayment_date) FROM loans)::text AS detail
UNION ALL
SELECT 'default_liquidation_rolling_avg_hist',
       s.refreshed_at,
       format('%s refresh, window %s days%s; last day %s', s.mode, s.window_days,
              CASE WHEN s.include_current_day THEN '' ELSE ' (day before)' END,
              (SELECT max(repayment_date) FROM default_liquidation_rolling_avg_hist))
FROM (SELECT NULL) AS one
LEFT JOIN default_liquidation_rolling_avg_hist_state AS s ON true
UNION ALL
SELECT 'ads',
       (SELECT max(loaded_at) FROM ad_backups),
       'newest impression shown ' || coalesce(to_char((SELECT max(shown_at) FROM ads), 'YYYY-MM-DD HH24:MI:SS "UTC"'), 'never')
UNION ALL
SELECT 'ad_archives',
       (SELECT max(archived_at) FROM ad_archives),
       'last day archived ' || coalesce((SELECT max(shown_date) FROM ad_archives)::text, 'none')
UNION ALL
SELECT 'lake (lake_ingests)',
       (SELECT finished_at FROM lake_ingests WHERE status = 'succeeded' ORDER BY ingest_id DESC LIMIT 1),
       coalesce((SELECT 'last source ' || source FROM lake_ingests WHERE status = 'succeeded'
                 ORDER BY ingest_id DESC LIMIT 1), 'nothing ingested')
UNION ALL
SELECT 'stream_flushes',
       (SELECT committed_at FROM stream_flushes WHERE committed_at IS NOT NULL ORDER BY started_at DESC LIMIT 1),
       (SELECT format('%s flushes in the last hour, %s failed', count(*), count(*) FILTER (WHERE status = 'failed'))
        FROM stream_flushes WHERE started_at > now() - interval '1 hour');
