-- An ingest of bytes the lake already took ($4: that ingest): nothing written.
UPDATE lake_ingests
SET status = 'skipped', finished_at = now(), source_bytes = $2, source_sha256 = $3, same_as = $4
WHERE ingest_id = $1 AND status = 'running';
