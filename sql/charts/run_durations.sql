-- The durations chart (charts/runDurations.ts): the last $2 runs of the workflow $1, oldest first.
-- By hand: replace $1 with 'default_liquidation_rolling_avg_hist' and $2 with 500.
-- A run still going has no duration (NULL). Reads the index job_runs (job, started_at DESC).
SELECT run_id, started_at, duration_ms, status
FROM (
  SELECT run_id,
         to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started_at,
         started_at AS started,
         (extract(epoch FROM finished_at - started_at) * 1000)::float8 AS duration_ms,
         status
  FROM job_runs
  WHERE job = $1
  -- The column, not the text of the same name above: only the timestamp has the index's order.
  ORDER BY job_runs.started_at DESC
  LIMIT $2
) recent
ORDER BY started;
