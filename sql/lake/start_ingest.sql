-- A new ingest of a source (lake/ingest.ts): running until finish_ingest, skip_ingest or fail_ingest.
INSERT INTO lake_ingests (source, source_version, run_id)
VALUES ($1, $2, $3)
RETURNING ingest_id, started_at;
