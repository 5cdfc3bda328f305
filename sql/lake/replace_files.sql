-- The files a compaction rewrote ($1 paths) leave the lake when its transaction commits. The
-- clock's time, not the transaction's start: the grace before lake maintenance deletes them
-- (LAKE_FILE_GRACE) counts from about when readers stop planning with them, however long the
-- compaction took.
UPDATE lake_files
SET removed_at = clock_timestamp()
WHERE path = ANY ($1::text[]) AND removed_at IS NULL AND content = 'events';
