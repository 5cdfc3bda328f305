-- The logical time of a run, which names its backups (docs/ads.md, "Backup keys"): the tick or
-- backfill day it is for, or, for a manual or start-up run, the moment it started.
-- $1 run_id
SELECT coalesce(scheduled_for, started_at) AS logical_time
FROM job_runs
WHERE run_id = $1;
