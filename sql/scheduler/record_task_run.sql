-- One attempt of one task (or one item of a fan-out task).
-- $1 run_id, $2 task, $3 item, $4 attempt, $5 status, $6 rows, $7 started_at, $8 duration_ms, $9 error
INSERT INTO task_runs (run_id, task, item, attempt, status, rows, started_at, duration_ms, error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);
