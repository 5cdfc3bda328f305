-- The dashboard's bench (item 12): the lake's catalog as a week of hourly ingests leaves it, no
-- Parquet file behind it (the Lake page reads only the catalog). $1 event types; per hour of the
-- last 7 days one ingest (quarantined lines by reason), one live events file per type and hour,
-- one quarantine file; for the hours of the day before yesterday, 4 earlier files per type that a
-- compaction replaced (removed_at set). By hand: replace $1 with 30.
WITH hours AS (
  SELECT h, date_trunc('hour', now() AT TIME ZONE 'UTC') - h * interval '1 hour' AS hour
  FROM generate_series(0, 7 * 24 - 1) AS h
), ingests AS (
  INSERT INTO lake_ingests (source, source_version, source_bytes, source_sha256, status, started_at, finished_at,
                            lines_read, events_written, quarantined, duplicates, blank_lines, quarantine_reasons)
  SELECT format('/inbox/events-%s.ndjson', to_char(hour, 'YYYY-MM-DD"T"HH24')), '1', 1000000,
         md5('i' || h) || md5('j' || h), 'succeeded', hour AT TIME ZONE 'UTC' + interval '5 minutes',
         hour AT TIME ZONE 'UTC' + interval '6 minutes',
         10000 + 3 + 100 + 1, 10000, 3, 100, 1,
         jsonb_build_object('not_json', 1, 'missing_field', 1, CASE WHEN h % 2 = 0 THEN 'bad_type' ELSE 'too_long' END, 1)
  FROM hours
  RETURNING ingest_id, started_at
), files AS (
  SELECT i.ingest_id, (i.started_at AT TIME ZONE 'UTC')::date AS day,
         extract(hour FROM i.started_at AT TIME ZONE 'UTC')::int AS hour, i.started_at
  FROM ingests i
)
INSERT INTO lake_files (path, content, event_type, event_date, event_hour, rows, bytes, min_created_at,
                        max_created_at, ingest_id, added_at, removed_at)
SELECT format('events/type=type_%s/date=%s/hour=%s/%s-%s.parquet', t, f.day, lpad(f.hour::text, 2, '0'), f.ingest_id, v),
       'events', 'type_' || t, f.day, f.hour, 10000 / (t + 1) + v, 20000 + t, f.started_at - interval '1 hour',
       f.started_at, f.ingest_id, f.started_at,
       CASE WHEN v > 0 THEN f.started_at + interval '10 minutes' END
FROM files f
CROSS JOIN generate_series(1, $1::int) AS t
CROSS JOIN LATERAL generate_series(0, CASE WHEN f.day = (now() AT TIME ZONE 'UTC')::date - 2 THEN 4 ELSE 0 END) AS v
UNION ALL
SELECT format('quarantine/date=%s/%s.parquet', f.day, f.ingest_id), 'quarantine', NULL, f.day, NULL, 3, 900,
       NULL, NULL, f.ingest_id, f.started_at, NULL
FROM files f;
