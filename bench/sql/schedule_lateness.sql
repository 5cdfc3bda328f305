-- Scheduled runs whose tick lies in [$2, $3): how late each one started after its scheduled
-- second. scheduled_for is the tick (floored to the second); started_at is set when the run is
-- claimed, just before its first task.
SELECT round(extract(epoch FROM started_at - scheduled_for) * 1000, 1)::float8 AS late_ms,
       status
FROM job_runs
WHERE job = $1 AND trigger = 'schedule' AND scheduled_for >= $2 AND scheduled_for < $3
ORDER BY scheduled_for;
