-- Which of these sources ($1) the lake already took at which version: lake_ingest leaves those out.
SELECT DISTINCT source, source_version
FROM lake_ingests
WHERE source = ANY ($1::text[]) AND status IN ('succeeded', 'skipped');
