-- The dashboard's bench (item 12): $1 impressions in ads shown over the last 14 days (UTC), an
-- ad_backups row per hour of those days (one in 50 with an error), and an archive per day for
-- the 90 days before them (the first part of each, a few restored). By hand: replace $1 with 200000.
WITH backups AS (
  INSERT INTO ad_backups (backup_key, run_id, bytes, sha256, stored_at, impressions, rejected, loaded_at, error)
  SELECT format('backup/run=%s/response-0.json', to_char(hour, 'YYYY-MM-DD"T"HH24":00:00Z"')),
         substr(md5('bench-api-' || h), 1, 12), 50000 + h, md5('b' || h) || md5('c' || h), hour,
         CASE WHEN h % 50 = 0 THEN NULL ELSE $1::int / 336 END, h % 7,
         CASE WHEN h % 50 = 0 THEN NULL ELSE hour + interval '2 seconds' END,
         CASE WHEN h % 50 = 0 THEN 'the response is not a JSON array' END
  FROM generate_series(0, 14 * 24 - 1) AS h,
       LATERAL (SELECT date_trunc('hour', now()) - h * interval '1 hour' AS hour) AS t
), archives AS (
  INSERT INTO ad_archives (archive_key, shown_date, part, run_id, rows, bytes, sha256, shown_from, shown_to,
                           archived_at, restored_at)
  SELECT format('archive/shown_date=%s/part-1.jsonl.gz', day), day, 1, substr(md5('bench-archive-' || d), 1, 12),
         1000000, 40000000, md5('a' || d) || md5('d' || d), day::timestamptz, day + interval '1 day - 1 microsecond',
         day + interval '31 days', CASE WHEN d % 30 = 0 THEN day + interval '40 days' END
  FROM generate_series(14, 14 + 89) AS d,
       LATERAL (SELECT ((now() AT TIME ZONE 'UTC')::date - d) AS day) AS t
)
INSERT INTO ads (ad_id, ad_group, ad_campaign, shown_at, ad_scheme, backup_key, loaded_at)
SELECT gen_random_uuid(),
       (ARRAY['marketing', 'recruiting', 'brand', 'investment'])[1 + i % 4],
       CASE WHEN i % 10 = 0 THEN NULL ELSE 500 + i % 500 END,
       now() - (i::float8 / $1::int) * interval '14 days',
       CASE WHEN i % 5 = 0 THEN jsonb_build_object('origin', 'manual', 'approved', i % 3 = 0) END,
       'backup/bench.json',
       now()
FROM generate_series(0, $1::int - 1) AS i;
