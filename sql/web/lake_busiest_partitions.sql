-- The partitions (type, day, hour) of the last 7 days with the most live files: what compaction
-- has yet to merge (the Lake page). $1: how many.
SELECT event_type, event_date, event_hour, count(*)::int AS files, sum(rows)::bigint AS rows,
       sum(bytes)::bigint AS bytes, max(added_at) AS last_added_at
FROM lake_files
WHERE removed_at IS NULL AND content = 'events' AND event_date >= (now() AT TIME ZONE 'UTC')::date - 6
GROUP BY event_type, event_date, event_hour
ORDER BY files DESC, event_date DESC, event_hour DESC, event_type
LIMIT $1;
