-- The live archives of one shown day, the ones ads_restore puts back: recorded and not restored
-- yet. Locked until the restore commits, so that two restores of the day do not both read them.
-- $1 shown_date
SELECT archive_key, rows, bytes, sha256
FROM ad_archives
WHERE shown_date = $1::date AND restored_at IS NULL
ORDER BY part
FOR UPDATE;
