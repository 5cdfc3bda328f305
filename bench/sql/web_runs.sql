-- The dashboard's bench (item 12): $1 runs in job_runs, with their task_runs, spread over the
-- workflows in $2 as the scheduler would run them, the newest now. $2 is a JSON array of
-- {"job": name, "perDay": runs a day, "trigger": "schedule" | "manual", "tasks": [{"name": task,
-- "fanOut": bool}, …]} in the order the tasks run (bench/compareWeb.ts builds it from
-- scheduler/workflows/). Deterministic: every choice is a hash of the run's number.
-- By hand: psql -v runs=10000 -v workflows="'[{\"job\":\"a\",\"perDay\":1440,\"trigger\":\"schedule\",\"tasks\":[{\"name\":\"t\",\"fanOut\":false}]}]'",
-- then replace $1 and $2 with :runs and :workflows.
--
-- A run is one of the workflows, picked at random in proportion to how often it runs; runs are
-- 86400 / (the sum of perDay) seconds apart, so that 10,000 runs of the default schedules span
-- about 6 days. 6% of the finished runs failed: one task failed after a retry, with an error, and
-- the tasks after it never ran. The newest run is still running. A fan-out task has 3 items.
WITH workflows AS (
  SELECT w.value ->> 'job' AS job,
         w.value ->> 'trigger' AS trigger,
         w.value -> 'tasks' AS tasks,
         jsonb_array_length(w.value -> 'tasks') AS task_count,
         sum((w.value ->> 'perDay')::int) OVER (ORDER BY w.position) - (w.value ->> 'perDay')::int AS low,
         sum((w.value ->> 'perDay')::int) OVER (ORDER BY w.position) AS high,
         sum((w.value ->> 'perDay')::int) OVER () AS per_day
  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS w (value, position)
), numbered AS (
  SELECT n,
         (hashint4(n) & 2147483647)::bigint AS pick,
         (hashint4(n + 1000003) & 2147483647) % 1000 AS fate,
         (hashint4(n + 2000003) & 2147483647) % 10000 AS spread
  FROM generate_series(1, $1::int) AS n
), runs AS (
  SELECT substr(md5('bench-run-' || n), 1, 12) AS run_id,
         w.job, w.trigger, w.tasks, w.task_count, n.n,
         now() - ($1::int - n.n) * (interval '86400 seconds' / w.per_day) AS started_at,
         CASE WHEN n.n = $1::int THEN 'running' WHEN n.fate < 60 THEN 'failed' ELSE 'succeeded' END AS status,
         -- The task that failed: one of the run's, by the same hash.
         1 + (n.fate % w.task_count) AS failed_task,
         200 + n.spread AS duration_ms,
         (ARRAY['connection terminated unexpectedly',
                'canceling statement due to statement timeout',
                'audit failed: 3 days whose ratio is negative',
                'object store answered 503 Slow Down'])[1 + n.n % 4] AS task_error
  FROM numbered n
  JOIN workflows w ON n.pick % w.per_day >= w.low AND n.pick % w.per_day < w.high
), inserted AS (
  INSERT INTO job_runs (run_id, job, trigger, scheduled_for, logical_date, params, status, rows,
                        started_at, finished_at, error, host, pid)
  SELECT run_id, job, trigger,
         CASE WHEN trigger = 'schedule' THEN started_at - interval '40 milliseconds' END,
         (started_at AT TIME ZONE 'UTC')::date,
         '{}', status,
         CASE WHEN status = 'succeeded' THEN (n * 37) % 5000 END,
         started_at,
         CASE WHEN status <> 'running' THEN started_at + duration_ms * interval '1 millisecond' END,
         CASE WHEN status = 'failed' THEN
           format('task %s failed: %s', tasks -> (failed_task - 1) ->> 'name', task_error)
         END,
         'bench', 1000 + n % 50
  FROM runs
  RETURNING run_id
)
INSERT INTO task_runs (run_id, task, item, attempt, status, rows, started_at, duration_ms, error)
SELECT r.run_id,
       t.value ->> 'name',
       CASE WHEN (t.value ->> 'fanOut')::boolean THEN 'source-' || item END,
       a.attempt,
       CASE WHEN r.status = 'failed' AND t.position = r.failed_task
            THEN CASE WHEN a.attempt = 1 THEN 'retried' ELSE 'failed' END
            ELSE 'succeeded' END,
       CASE WHEN NOT (r.status = 'failed' AND t.position = r.failed_task) THEN (r.n * 13 + t.position) % 1000 END,
       r.started_at + ((t.position - 1) * 2 + a.attempt - 1) * (r.duration_ms / (2 * r.task_count + 2)) * interval '1 millisecond',
       r.duration_ms / (2 * r.task_count + 2),
       CASE WHEN r.status = 'failed' AND t.position = r.failed_task
            THEN r.task_error END
FROM runs r
CROSS JOIN LATERAL jsonb_array_elements(r.tasks) WITH ORDINALITY AS t (value, position)
CROSS JOIN LATERAL generate_series(1, CASE WHEN (t.value ->> 'fanOut')::boolean THEN 3 ELSE 1 END) AS item
CROSS JOIN LATERAL generate_series(1, CASE WHEN r.status = 'failed' AND t.position = r.failed_task THEN 2 ELSE 1 END) AS a (attempt)
WHERE (r.status = 'succeeded')
   OR (r.status = 'failed' AND t.position <= r.failed_task)
   -- The running run: its first half of tasks done.
   OR (r.status = 'running' AND t.position <= r.task_count / 2);
