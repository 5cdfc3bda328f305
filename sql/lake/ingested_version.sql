-- The ingest that already took this version of this source, if any: lake_ingest skips it unread.
SELECT ingest_id
FROM lake_ingests
WHERE source = $1 AND source_version = $2 AND status IN ('succeeded', 'skipped')
ORDER BY ingest_id
LIMIT 1;
