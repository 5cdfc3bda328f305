-- A stored response is loaded: in the transaction of its rows and rejects.
-- $1 backup_key, $2 impressions loaded, $3 impressions rejected
UPDATE ad_backups
SET impressions = $2, rejected = $3, loaded_at = now(), error = NULL
WHERE backup_key = $1;
