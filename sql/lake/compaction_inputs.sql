-- The live events files of one partition ($1 type, $2 date, $3 hour) under the target size ($4
-- bytes): what a compaction may rewrite. Read while it holds the partition's lock, so no ingest
-- adds a file to the partition until it commits.
SELECT path, rows, bytes, min_created_at, max_created_at
FROM lake_files
WHERE content = 'events' AND removed_at IS NULL
  AND event_type = $1 AND event_date = $2 AND event_hour = $3
  AND bytes < $4
ORDER BY path;
