-- The shown days (UTC) that ads_archive archives, oldest first: those with rows of ads shown before
-- the run's logical date (00:00 UTC) minus older_than_days. One probe of the ads_shown_at index
-- per day found, however many rows a day has. $1 logical_date, $2 older_than_days
--   e.g. '2024-05-10', 1: the days before 2024-05-09, so that 2024-05-09 stays in PostgreSQL
WITH RECURSIVE days AS (
  SELECT (min(shown_at) AT TIME ZONE 'UTC')::date AS day
  FROM ads
  WHERE shown_at < ($1::date - $2::integer)::timestamp AT TIME ZONE 'UTC'
  UNION ALL
  SELECT (
    SELECT (min(shown_at) AT TIME ZONE 'UTC')::date
    FROM ads
    WHERE shown_at >= (days.day + 1)::timestamp AT TIME ZONE 'UTC'
      AND shown_at < ($1::date - $2::integer)::timestamp AT TIME ZONE 'UTC'
  )
  FROM days
  WHERE days.day IS NOT NULL
)
SELECT day::text AS shown_date FROM days WHERE day IS NOT NULL ORDER BY day;
