-- $1 run_id, $2 status, $3 rows, $4 error
UPDATE job_runs
SET status = $2, rows = $3, error = $4, finished_at = clock_timestamp()
WHERE run_id = $1;
