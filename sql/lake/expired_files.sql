-- Files a compaction replaced more than $1 milliseconds ago (LAKE_FILE_GRACE): no query that
-- planned with them can still be reading them. A page at a time: file_id after $2, at most $3.
SELECT file_id, path, bytes
FROM lake_files
WHERE removed_at < clock_timestamp() - $1::bigint * interval '1 millisecond' AND file_id > $2
ORDER BY file_id
LIMIT $3;
