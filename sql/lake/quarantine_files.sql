-- Every live quarantine file, for the query command's quarantine view (lake/queryFiles.ts).
SELECT path, event_date, rows, bytes
FROM lake_files
WHERE content = 'quarantine' AND removed_at IS NULL
ORDER BY path;
