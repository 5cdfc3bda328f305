-- What the dashboard's bench seeded (item 12), for the report.
SELECT (SELECT count(*) FROM job_runs)::int                                        AS runs,
       (SELECT count(*) FROM job_runs WHERE status = 'failed')::int                AS "failedRuns",
       (SELECT count(DISTINCT job) FROM job_runs)::int                             AS workflows,
       (SELECT count(*) FROM task_runs)::int                                       AS "taskRuns",
       (SELECT count(*) FROM default_liquidation_rolling_avg_hist)::int            AS days,
       (SELECT count(*) FROM default_liquidation_rolling_avg_hist
        WHERE liquidation_to_default_ratio IS NULL)::int                           AS "daysWithoutRatio",
       (SELECT pg_total_relation_size('default_liquidation_rolling_avg_hist'))::float8 AS "rollingAverageBytes",
       (SELECT count(*) FROM loads)::int                                           AS loads,
       (SELECT count(*) FROM load_rejects)::int                                    AS rejects,
       (SELECT count(*) FROM ads)::int                                             AS ads,
       (SELECT count(*) FROM lake_files)::int                                      AS "lakeFiles";
