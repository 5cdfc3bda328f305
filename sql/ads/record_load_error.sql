-- Why a stored response could not be loaded (a body that is not a JSON array, …); it stays
-- stored, and a replay with backup_key loads it once the cause is fixed.
-- $1 backup_key, $2 the error
UPDATE ad_backups
SET error = $2
WHERE backup_key = $1;
