-- Claims one run of a job. For a scheduled tick the unique (job, scheduled_for) lets exactly one
-- scheduler replica win; manual and start-up runs have no scheduled_for and always get a row.
-- $1 run_id, $2 job, $3 trigger, $4 scheduled_for, $5 params, $6 host, $7 pid
INSERT INTO job_runs (run_id, job, trigger, scheduled_for, params, status, host, pid)
VALUES ($1, $2, $3, $4, $5, 'running', $6, $7)
ON CONFLICT (job, scheduled_for) DO NOTHING
RETURNING run_id;
