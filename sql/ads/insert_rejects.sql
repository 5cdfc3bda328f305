-- The impressions of one stored response that break a rule, with why and where. Keyed by
-- (backup_key, position): loading the same response again adds no row.
-- $1 backup_key, $2 a JSON array of {position, reason, raw}
INSERT INTO ad_rejects (backup_key, position, reason, raw)
SELECT $1, r.position, r.reason, r.raw
FROM jsonb_to_recordset($2::jsonb) AS r (position integer, reason text, raw text)
ON CONFLICT (backup_key, position) DO NOTHING;
