-- An ingest whose session ended without finishing it ($1, its lock found free by
-- try_hold_ingest.sql and still held by lake maintenance while this runs): failed, with $2 as
-- the reason. Its files never reached lake_files; those it had moved into the lake are orphans.
UPDATE lake_ingests
SET status = 'failed', finished_at = now(), error = $2
WHERE ingest_id = $1 AND status = 'running';
