-- Each workflow's newest run (the Overview page). The workflows are the job names of job_runs,
-- found by skipping through the index job_runs_job_started_at: one probe per workflow instead of a
-- scan of every run; then each one's newest run through the same index.
WITH RECURSIVE jobs (job) AS (
  (SELECT job FROM job_runs ORDER BY job LIMIT 1)
  UNION ALL
  SELECT (SELECT r.job FROM job_runs r WHERE r.job > jobs.job ORDER BY r.job LIMIT 1)
  FROM jobs
  WHERE jobs.job IS NOT NULL
)
SELECT newest.*
FROM jobs
CROSS JOIN LATERAL (
  SELECT r.job, r.run_id, r.trigger, r.status, r.rows, r.started_at, r.finished_at,
         round(extract(epoch FROM r.finished_at - r.started_at) * 1000)::int AS duration_ms,
         r.error
  FROM job_runs r
  WHERE r.job = jobs.job
  ORDER BY r.started_at DESC
  LIMIT 1
) AS newest
WHERE jobs.job IS NOT NULL
ORDER BY newest.job;
