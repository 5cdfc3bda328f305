-- The newest runs of each workflow, or of one: the Runs grid (25 each), and with $3 = 1 the
-- Overview's last run of each workflow and the Runs filter's workflows. $1: workflow or NULL for
-- all, $2: status (running, succeeded, failed) or NULL for any, $3: runs per workflow. The
-- workflows are the job names of job_runs, found by skipping through the index
-- job_runs_job_started_at (one probe per workflow instead of a scan of every run), and each one's
-- runs come from the same index.
WITH RECURSIVE jobs (job) AS (
  (SELECT job FROM job_runs ORDER BY job LIMIT 1)
  UNION ALL
  SELECT (SELECT r.job FROM job_runs r WHERE r.job > jobs.job ORDER BY r.job LIMIT 1)
  FROM jobs
  WHERE jobs.job IS NOT NULL
)
SELECT runs.*
FROM jobs
CROSS JOIN LATERAL (
  SELECT r.job, r.run_id, r.trigger, r.status, r.rows, r.started_at, r.finished_at,
         round(extract(epoch FROM r.finished_at - r.started_at) * 1000)::int AS duration_ms,
         r.error
  FROM job_runs r
  WHERE r.job = jobs.job AND ($2::text IS NULL OR r.status = $2)
  ORDER BY r.started_at DESC
  LIMIT $3
) AS runs
WHERE jobs.job IS NOT NULL AND ($1::text IS NULL OR jobs.job = $1)
ORDER BY runs.job, runs.started_at DESC;
