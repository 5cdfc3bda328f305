-- Claims one run of a workflow. For a scheduled tick the unique index on (job, scheduled_for)
-- of scheduled runs lets exactly one scheduler replica win; other runs always get a row.
-- $1 run_id, $2 job, $3 trigger, $4 scheduled_for, $5 params, $6 host, $7 pid, $8 logical_date
INSERT INTO job_runs (run_id, job, trigger, scheduled_for, params, status, host, pid, logical_date)
VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8)
ON CONFLICT (job, scheduled_for) WHERE trigger = 'schedule' DO NOTHING
RETURNING run_id;
