-- Runs of a job by trigger and status: how many scheduled runs fired during a watch.
SELECT trigger, status, count(*)::int AS runs, min(started_at) AS first_started_at
FROM job_runs
WHERE job = $1
GROUP BY trigger, status;
