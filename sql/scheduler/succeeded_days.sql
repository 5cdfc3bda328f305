-- Days of a backfill that already have a succeeded run. $1 workflow, $2 first day, $3 last day
SELECT DISTINCT logical_date::text AS day
FROM job_runs
WHERE job = $1 AND trigger = 'backfill' AND status = 'succeeded' AND logical_date BETWEEN $2 AND $3;
