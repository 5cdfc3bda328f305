-- Per event type, the newest event in the lake and when it was committed (npm run events -- status).
SELECT event_type,
       max(max_created_at) AS newest_event_at,
       max(added_at)       AS last_added_at,
       sum(rows)           AS events
FROM lake_files
WHERE content = 'events' AND removed_at IS NULL
GROUP BY event_type
ORDER BY newest_event_at DESC NULLS LAST, event_type;
