-- Every archive ever recorded, and whether ads_restore has put its rows back since: what the
-- removal of dead archive objects (ads/removeDeadArchives.ts) compares the bucket with, under
-- lock_archives.sql.
SELECT archive_key, restored_at IS NOT NULL AS restored FROM ad_archives;
