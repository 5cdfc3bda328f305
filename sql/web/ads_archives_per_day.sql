-- The archives per day of impressions (the Ads page), newest first. $1: how many days.
SELECT shown_date                               AS day,
       count(*)::int                            AS archives,
       sum(rows)::bigint                        AS rows,
       sum(bytes)::bigint                       AS bytes,
       count(*) FILTER (WHERE restored_at IS NOT NULL)::int AS restored,
       max(archived_at)                         AS last_archived_at
FROM ad_archives
GROUP BY shown_date
ORDER BY shown_date DESC
LIMIT $1;
