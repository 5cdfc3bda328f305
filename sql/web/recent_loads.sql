-- The newest loads, newest first (the Loads page). $1: how many; $2: one load's id, or NULL for
-- any load.
SELECT load_id, file, file_bytes, sha256, status, strict, as_of, rows_read, rows_loaded, rows_rejected,
       lines_blank, rows_inserted, rows_updated, rows_unchanged, started_at, finished_at,
       round(extract(epoch FROM finished_at - started_at) * 1000)::int AS duration_ms,
       unchanged_since_load_id, error
FROM loads
WHERE $2::bigint IS NULL OR load_id = $2::bigint
ORDER BY load_id DESC
LIMIT $1;
