-- Every date that has a live file, events or quarantine: what a full rewrite of the catalog
-- exports writes (lake/catalogExport.ts).
SELECT DISTINCT event_date
FROM lake_files
WHERE removed_at IS NULL
ORDER BY event_date;
