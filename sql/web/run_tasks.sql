-- Every task execution of one run, in the order they started (the Runs page's detail panel).
-- $1: run id, $2: how many.
SELECT task, item, attempt, status, rows, started_at, duration_ms, error
FROM task_runs
WHERE run_id = $1
ORDER BY started_at, task, item, attempt
LIMIT $2;
