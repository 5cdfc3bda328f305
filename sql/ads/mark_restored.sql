-- In the restore's transaction: these archives are no longer live, their rows are in ads again.
-- Their parts stay taken, so a later archive of the day gets a new key. $1 archive_keys
UPDATE ad_archives SET restored_at = now() WHERE archive_key = ANY ($1::text[]) AND restored_at IS NULL;
