-- Every workflow that has run, for the Runs page's filter: the index job_runs_job_started_at
-- skipped through, one probe per workflow.
WITH RECURSIVE jobs (job) AS (
  (SELECT job FROM job_runs ORDER BY job LIMIT 1)
  UNION ALL
  SELECT (SELECT r.job FROM job_runs r WHERE r.job > jobs.job ORDER BY r.job LIMIT 1)
  FROM jobs
  WHERE jobs.job IS NOT NULL
)
SELECT job FROM jobs WHERE job IS NOT NULL ORDER BY job;
