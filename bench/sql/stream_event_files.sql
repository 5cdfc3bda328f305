-- The live event files of a stream comparison's catalog (item 11), relative to the lake's folder,
-- with the ingest that wrote each: what a reader of the lake plans from.
SELECT path, ingest_id::float8 AS ingest_id
FROM lake_files
WHERE content = 'events' AND removed_at IS NULL
ORDER BY path;
