-- $1: load_id
INSERT INTO load_rejects (load_id, line_number, raw_line, reason)
SELECT $1, line_number, raw_line, reason
FROM loans_staging
WHERE reason IS NOT NULL;
