-- The query command's view of the quarantine: every live quarantine file ({{files}}); raw is the
-- line's exact bytes (decode(raw) shows it as text when it is UTF-8).
CREATE OR REPLACE VIEW quarantine AS
SELECT ingest_id, source, line, reason, detail, raw
FROM read_parquet({{files}});
