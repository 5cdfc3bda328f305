-- An ingest that stopped on an error: nothing of it is in lake_files.
UPDATE lake_ingests
SET status = 'failed', finished_at = now(), error = $2
WHERE ingest_id = $1 AND status = 'running';
