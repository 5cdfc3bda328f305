-- The ads API responses stored per day (UTC) of the last $1 days (the Ads page); ad_backups has
-- one row per call (hourly).
SELECT (stored_at AT TIME ZONE 'UTC')::date AS day,
       count(*)::int                        AS backups,
       sum(bytes)::bigint                   AS bytes,
       sum(impressions)::bigint             AS impressions,
       sum(rejected)::bigint                AS rejected,
       count(*) FILTER (WHERE error IS NOT NULL)::int AS errors
FROM ad_backups
WHERE stored_at >= (now() AT TIME ZONE 'UTC')::date - ($1::int - 1)
GROUP BY 1
ORDER BY 1 DESC;
