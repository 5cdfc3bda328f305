-- An ingest that wrote its files; in the transaction that adds them to lake_files.
UPDATE lake_ingests
SET status = 'succeeded', finished_at = now(), source_bytes = $2, source_sha256 = $3,
    lines_read = $4, events_written = $5, quarantined = $6, duplicates = $7, blank_lines = $8,
    quarantine_reasons = $9
WHERE ingest_id = $1 AND status = 'running';
