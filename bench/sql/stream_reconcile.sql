-- Item 11: what the queue accepted from the producer against what the lake holds, counted apart
-- from both. {{sent}}: the tap's CSV, one line per accepted SendMessageBatch entry (id,
-- created_at_ms, seen_at_ms; a duplicate delivery is a second line of the same id). {{events}}: a
-- glob of the lake's Parquet event files, of which only those the catalog lists ({{files}}: path,
-- ingest_id) count. {{ingests}}: when each ingest committed (ingest_id, finished_at_ms,
-- committed_at_ms). An event created more than a minute before the tap saw it is late: left out
-- of the lag. Run by `node dist/bench/duckdbCopy.js bench/sql/stream_reconcile.sql sent=… …`.
WITH sent AS (
  SELECT id, min(created_at_ms) AS created_at_ms, min(seen_at_ms) AS seen_at_ms, count(*) AS deliveries
  FROM read_csv({{sent}}, header = true,
                columns = {'id': 'VARCHAR', 'created_at_ms': 'BIGINT', 'seen_at_ms': 'BIGINT'})
  GROUP BY id
),
files AS (
  SELECT path, ingest_id
  FROM read_csv({{files}}, header = true, columns = {'path': 'VARCHAR', 'ingest_id': 'BIGINT'})
),
ingests AS (
  SELECT ingest_id, finished_at_ms, committed_at_ms
  FROM read_csv({{ingests}}, header = true, nullstr = '',
                columns = {'ingest_id': 'BIGINT', 'finished_at_ms': 'DOUBLE', 'committed_at_ms': 'DOUBLE'})
),
lake AS (
  SELECT e.id, e.ingest_id
  FROM read_parquet({{events}}, filename = true, hive_partitioning = false) AS e
  JOIN files AS f ON f.path = e.filename
),
lake_ids AS (
  SELECT id, min(ingest_id) AS ingest_id FROM lake GROUP BY id
),
joined AS (
  SELECT s.id AS sent_id, l.id AS lake_id, s.created_at_ms, s.seen_at_ms, i.finished_at_ms, i.committed_at_ms
  FROM sent AS s
  FULL OUTER JOIN lake_ids AS l ON l.id = s.id
  LEFT JOIN ingests AS i ON i.ingest_id = l.ingest_id
),
on_time AS (
  SELECT committed_at_ms - created_at_ms AS lag_ms, finished_at_ms - created_at_ms AS finished_lag_ms
  FROM joined
  WHERE sent_id IS NOT NULL AND lake_id IS NOT NULL AND seen_at_ms - created_at_ms <= 60000
)
SELECT
  (SELECT sum(deliveries) FROM sent) AS tap_lines,
  (SELECT count(*) FROM sent) AS tap_ids,
  (SELECT count(*) FROM lake) AS lake_rows,
  (SELECT count(*) FROM lake_ids) AS lake_ids,
  (SELECT count(*) FROM joined WHERE lake_id IS NULL) AS lost,
  (SELECT count(*) FROM joined WHERE sent_id IS NULL) AS unsent,
  (SELECT count(*) FROM joined WHERE sent_id IS NOT NULL AND seen_at_ms - created_at_ms > 60000) AS late,
  (SELECT count(*) FROM on_time WHERE lag_ms IS NULL) AS lag_unknown,
  (SELECT quantile_disc(lag_ms, 0.5) FROM on_time) AS lag_p50_ms,
  (SELECT quantile_disc(lag_ms, 0.99) FROM on_time) AS lag_p99_ms,
  (SELECT max(lag_ms) FROM on_time) AS lag_max_ms,
  (SELECT quantile_disc(finished_lag_ms, 0.99) FROM on_time) AS finished_lag_p99_ms;
