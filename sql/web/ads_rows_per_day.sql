-- Impressions in ads per day shown (UTC) of the last $1 days (the Ads page), through the index
-- ads_shown_at; older days are in the archives.
SELECT (shown_at AT TIME ZONE 'UTC')::date AS day,
       count(*)::bigint                    AS rows
FROM ads
WHERE shown_at >= (now() AT TIME ZONE 'UTC')::date - ($1::int - 1)
GROUP BY 1
ORDER BY 1 DESC;
