-- Every live events file, counted: the "of how many" of a query's plan (lake/queryFiles.ts).
SELECT count(*) AS files, coalesce(sum(bytes), 0) AS bytes
FROM lake_files
WHERE content = 'events' AND removed_at IS NULL;
