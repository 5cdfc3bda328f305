-- quarantine when the lake has no quarantine file: no rows, the columns and types of quarantine_view.sql.
CREATE OR REPLACE VIEW quarantine AS
SELECT NULL::BIGINT AS ingest_id, NULL::VARCHAR AS source, NULL::BIGINT AS line, NULL::VARCHAR AS reason,
       NULL::VARCHAR AS detail, NULL::BLOB AS raw
WHERE false;
