-- Once the day's object is stored and read back: deletes the rows of the day that the COPY read
-- and records their archive, in one statement of the archive's REPEATABLE READ transaction. The
-- DELETE sees the transaction's snapshot, so it deletes exactly the rows archive_day_copy.sql
-- archived and locked; a row inserted since is not in that snapshot and stays. ads/archiveDay.ts
-- checks that `rows` equals the rows it streamed, or rolls back.
-- $1 archive_key, $2 shown_date, $3 part, $4 run_id, $5 bytes, $6 sha256
WITH archived AS (
  DELETE FROM ads
  WHERE shown_at >= $2::date::timestamp AT TIME ZONE 'UTC' AND shown_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
  RETURNING shown_at
)
INSERT INTO ad_archives (archive_key, shown_date, part, run_id, rows, bytes, sha256, shown_from, shown_to)
SELECT $1, $2::date, $3, $4, count(*), $5, $6, min(shown_at), max(shown_at)
FROM archived
RETURNING rows;
