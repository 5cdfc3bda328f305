-- Records a response stored in the bucket, once the object is verified and before any of its
-- impressions is inserted. A key recorded already keeps its first row; either way the row as
-- recorded comes back, so that the caller can check its bytes are the ones first recorded.
-- $1 backup_key, $2 run_id, $3 bytes, $4 sha256, $5 stored_at (when the response arrived)
WITH inserted AS (
  INSERT INTO ad_backups (backup_key, run_id, bytes, sha256, stored_at)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (backup_key) DO NOTHING
  RETURNING bytes, sha256, stored_at
)
SELECT bytes, sha256, stored_at FROM inserted
UNION ALL
SELECT bytes, sha256, stored_at
FROM ad_backups
WHERE backup_key = $1 AND NOT EXISTS (SELECT FROM inserted);
