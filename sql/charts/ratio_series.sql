-- The ratio chart's points (charts/ratioSeries.ts): default_liquidation_rolling_avg_hist cut into at
-- most $3 buckets of equal calendar length, one row per bucket, oldest first.
--   $1  the first day (date), or NULL for the table's first
--   $2  the last day (date), or NULL for the table's last
--   $3  the most points wanted (integer >= 1): buckets of ceil(days / $3) days
-- By hand: psql -v from="'2023-01-01'" -v to=NULL -v points=2000, then replace $1 $2 $3 with
-- :from :to :points (or PREPARE ratio_series(date, date, int) AS … ; EXECUTE ratio_series(NULL, NULL, 2000)).
--
-- day is the bucket's first day; ratio and rolling_avg are the means of the non-NULL values of its
-- days, NULL when it has none (a day missing from the table, or with no ratio, stays a gap: never 0).
-- A bucket of up to 16 days is read whole, so its means are exact; a longer one is read as 2 runs of
-- 8 consecutive days, from its first day and from its middle (sampled = true): at most 16 rows per
-- bucket, 32,000 for 2,000 points, each run one range scan of the primary key, so the time does not
-- grow with the table
-- (docs/charts.md, "Downsampling").
WITH bounds AS (
  SELECT (SELECT min(repayment_date) FROM default_liquidation_rolling_avg_hist
          WHERE repayment_date >= coalesce($1::date, '-infinity') AND repayment_date <= coalesce($2::date, 'infinity')) AS first_day,
         (SELECT max(repayment_date) FROM default_liquidation_rolling_avg_hist
          WHERE repayment_date >= coalesce($1::date, '-infinity') AND repayment_date <= coalesce($2::date, 'infinity')) AS last_day
), shape AS MATERIALIZED (
  SELECT first_day, last_day, last_day - first_day + 1 AS total_days,
         ceil((last_day - first_day + 1) / $3::int::numeric)::int AS bucket_days
  FROM bounds
  WHERE first_day IS NOT NULL
), runs AS (
  -- Each bucket, with the stretches of it that are read: the whole bucket, or 2 runs of 8 days.
  SELECT s.first_day + b * s.bucket_days AS bucket_start,
         s.first_day + b * s.bucket_days + CASE WHEN s.bucket_days <= 16 THEN 0 ELSE r * s.bucket_days / 2 END AS run_start,
         CASE WHEN s.bucket_days <= 16 THEN s.bucket_days ELSE 8 END AS run_days,
         s.total_days, s.bucket_days, s.first_day, s.last_day
  -- Series with constant bounds, filtered, rather than bounds computed from shape: the planner then
  -- knows how many rows they give (at most $3 buckets of 2 runs), and does not plan for millions of
  -- rows and JIT-compile the query (seconds instead of milliseconds).
  FROM shape s,
       generate_series(0, $3::int - 1) AS b,
       generate_series(0, 1) AS r
  WHERE b * s.bucket_days < s.total_days
    AND (s.bucket_days > 16 OR r = 0)
)
SELECT u.bucket_start::text AS day,
       avg(h.liquidation_to_default_ratio)::float8 AS ratio,
       avg(h.rolling_avg_7d)::float8 AS rolling_avg,
       u.total_days,
       u.bucket_days,
       u.bucket_days > 16 AS sampled,
       u.first_day::text AS first_day,
       u.last_day::text AS last_day
FROM runs u
LEFT JOIN LATERAL (
  SELECT liquidation_to_default_ratio, rolling_avg_7d
  FROM default_liquidation_rolling_avg_hist
  WHERE repayment_date >= u.run_start AND repayment_date < u.run_start + u.run_days AND repayment_date <= u.last_day
  LIMIT 16
) h ON true
GROUP BY u.bucket_start, u.total_days, u.bucket_days, u.first_day, u.last_day
ORDER BY u.bucket_start;
