-- The latest run of a job as the job recorded it: its status and its own duration, which leaves
-- out the start-up of the process (node, connecting, checking migrations).
SELECT status,
       rows,
       round(extract(epoch FROM finished_at - started_at) * 1000)::int AS duration_ms,
       error
FROM job_runs
WHERE job = $1
ORDER BY started_at DESC
LIMIT 1;
