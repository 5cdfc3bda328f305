-- The first query of the archive of one shown day (ads/archiveDay.ts), in its REPEATABLE READ
-- transaction after lock_archives.sql: it takes the snapshot that archive_day_copy.sql and
-- archive_day_record.sql then read, sets what the COPY reads, and says which part this archive
-- is and whether the day still has rows. $1 shown_date
--   job.shown_date  the day (UTC) whose rows are archived
--   TimeZone        UTC, so that the times in the archive are written in UTC (+00:00)
-- By hand, in psql, from this folder (the key is archive/shown_date=<day>/part-<part, 4 digits>.jsonl.gz):
--   BEGIN ISOLATION LEVEL REPEATABLE READ;
--   \i lock_archives.sql
--   \set day '2024-05-08'
--   SELECT set_config('job.shown_date', :'day', true), set_config('TimeZone', 'UTC', true);
--   \copy (SELECT to_json(a) FROM ads a WHERE …the day…) TO 'part.jsonl'    -- archive_day_copy.sql
--   …gzip it, upload it, then archive_day_record.sql with its values…
--   COMMIT;
SELECT
  set_config('job.shown_date', $1::date::text, true) AS shown_date,
  set_config('TimeZone', 'UTC', true) AS time_zone,
  (SELECT coalesce(max(part), 0) + 1 FROM ad_archives WHERE shown_date = $1::date) AS part,
  EXISTS (
    SELECT FROM ads
    WHERE shown_at >= $1::date::timestamp AT TIME ZONE 'UTC' AND shown_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'
  ) AS has_rows;
