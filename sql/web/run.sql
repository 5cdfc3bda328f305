-- One run (the Runs page's detail panel). $1: run id.
SELECT run_id, job, trigger, scheduled_for, logical_date, params, status, rows, started_at, finished_at,
       round(extract(epoch FROM finished_at - started_at) * 1000)::int AS duration_ms,
       error, host, pid
FROM job_runs
WHERE run_id = $1;
