-- Failed runs of the last 24 hours per workflow (the Overview page), each workflow's from its
-- range of job_runs_job_started_at.
WITH RECURSIVE jobs (job) AS (
  (SELECT job FROM job_runs ORDER BY job LIMIT 1)
  UNION ALL
  SELECT (SELECT r.job FROM job_runs r WHERE r.job > jobs.job ORDER BY r.job LIMIT 1)
  FROM jobs
  WHERE jobs.job IS NOT NULL
)
SELECT jobs.job, failed.runs, failed.last_failed_at
FROM jobs
CROSS JOIN LATERAL (
  SELECT count(*)::int AS runs, max(r.started_at) AS last_failed_at
  FROM job_runs r
  WHERE r.job = jobs.job AND r.started_at > now() - interval '24 hours' AND r.status = 'failed'
) AS failed
WHERE jobs.job IS NOT NULL AND failed.runs > 0
ORDER BY jobs.job;
