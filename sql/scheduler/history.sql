-- Recent runs, newest first, with their tasks. $1 workflow name or NULL for all, $2 how many.
SELECT r.run_id,
       r.job,
       r.trigger,
       r.logical_date::text AS logical_date,
       r.status,
       r.rows,
       to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS started_at,
       round(extract(epoch FROM r.finished_at - r.started_at) * 1000)::int AS duration_ms,
       r.error,
       (SELECT string_agg(t.task || coalesce('[' || t.item || ']', '') || ':' || t.status, ' ' ORDER BY t.started_at)
        FROM task_runs t
        WHERE t.run_id = r.run_id) AS tasks
FROM job_runs r
WHERE $1::text IS NULL OR r.job = $1
ORDER BY r.started_at DESC
LIMIT $2;
