-- The lake's live catalog files per day of events (UTC) and content (events or quarantine), the
-- last 7 days (the Lake page), through lake_files_live. $1: how many rows.
SELECT event_date,
       content,
       count(DISTINCT event_type)::int AS types,
       count(DISTINCT (event_type, event_hour))::int AS partitions,
       count(*)::int                   AS files,
       sum(rows)::bigint               AS rows,
       sum(bytes)::bigint              AS bytes,
       max(added_at)                   AS last_added_at
FROM lake_files
WHERE removed_at IS NULL AND event_date >= (now() AT TIME ZONE 'UTC')::date - 6
GROUP BY event_date, content
ORDER BY event_date DESC, content
LIMIT $1;
