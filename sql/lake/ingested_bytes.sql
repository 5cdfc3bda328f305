-- The ingest that already took the same bytes (by SHA-256), if any.
SELECT ingest_id FROM lake_ingests WHERE source_sha256 = $1 AND status = 'succeeded';
