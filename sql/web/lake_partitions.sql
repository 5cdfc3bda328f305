-- The lake's live catalog files per partition (type and day; quarantine files have a day only)
-- of the last 7 days of events (the Lake page), through lake_files_live. $1: how many rows.
SELECT content,
       event_type,
       event_date,
       count(DISTINCT event_hour)::int AS hours,
       count(*)::int                   AS files,
       sum(rows)::bigint               AS rows,
       sum(bytes)::bigint              AS bytes,
       max(added_at)                   AS last_added_at
FROM lake_files
WHERE removed_at IS NULL AND event_date >= (now() AT TIME ZONE 'UTC')::date - 6
GROUP BY content, event_type, event_date
ORDER BY event_date DESC, content, event_type
LIMIT $1;
