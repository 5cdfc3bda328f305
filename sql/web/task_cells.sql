-- One cell of the Runs grid per task of each run: its executions (fan-out items and attempts)
-- taken together. failed when one failed; else succeeded when one succeeded; else skipped, or
-- retried (a run that died between attempts). $1: the run ids (through task_runs_run_id).
SELECT run_id,
       task,
       CASE WHEN bool_or(status = 'failed') THEN 'failed'
            WHEN bool_or(status = 'succeeded') THEN 'succeeded'
            WHEN bool_or(status = 'skipped') THEN 'skipped'
            ELSE 'retried' END AS status,
       min(started_at) AS started_at,
       sum(duration_ms)::int AS duration_ms,
       sum(rows) FILTER (WHERE status = 'succeeded')::bigint AS rows,
       max(attempt) AS attempts,
       count(*) FILTER (WHERE status <> 'retried')::int AS executions,
       (array_agg(error ORDER BY started_at) FILTER (WHERE status = 'failed'))[1] AS error
FROM task_runs
WHERE run_id = ANY ($1::text[])
GROUP BY run_id, task
ORDER BY run_id, min(started_at);
