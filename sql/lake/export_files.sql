-- The live files of one date ($1), events and quarantine, for its catalog export (lake/catalogExport.ts).
SELECT path, content, event_type, event_hour, rows, bytes, min_created_at, max_created_at
FROM lake_files
WHERE event_date = $1::date AND removed_at IS NULL
ORDER BY path;
