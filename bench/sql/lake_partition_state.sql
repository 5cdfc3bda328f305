-- One partition ($1 type, $2 date, $3 hour) after compaction: its live files and the rows they
-- hold, and what its compactions recorded.
WITH live AS (
  SELECT count(*)::float8 AS files, coalesce(sum(rows), 0)::float8 AS rows
  FROM lake_files
  WHERE content = 'events' AND removed_at IS NULL
    AND event_type = $1 AND event_date = $2::date AND event_hour = $3
), compacted AS (
  SELECT count(*)::float8 AS compactions, coalesce(sum(files_in), 0)::float8 AS files_in,
         coalesce(sum(bytes_in), 0)::float8 AS bytes_in, coalesce(sum(bytes_out), 0)::float8 AS bytes_out
  FROM lake_compactions
  WHERE event_type = $1 AND event_date = $2::date AND event_hour = $3
)
SELECT live.files AS live_files, live.rows AS live_rows, compacted.* FROM live, compacted;
