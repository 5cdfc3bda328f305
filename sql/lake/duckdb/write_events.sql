-- The events of a group of buckets (the bucket files {{files}}, and the staged lines of buckets $2
-- to $3) into Parquet, one folder per partition under {{folder}}, Hive-style; a partition's
-- columns are in its path. A group at a time keeps the files open at once, and so the memory,
-- bounded. The dropped lines (drop_repeats.sql, drop_known.sql) are left out.
--
-- A line of a bucket file passed JSON.parse, holds no backslash and names each key of the event
-- once (lake/checkLines.ts), so DuckDB's reader finds in it the data.id, data.type and
-- meta.created_at that JSON.parse did; the lines where it might not were staged, and compared.
COPY (
  SELECT id, created_at, attributes, meta, $1::BIGINT AS ingest_id, line AS source_line, type, date, hour
  FROM (
    SELECT line, seen[1]->>'$' AS id, seen[2]->>'$' AS type, ts::TIMESTAMPTZ AS created_at,
           strftime(ts, '%Y-%m-%d') AS date, strftime(ts, '%H') AS hour,
           seen[4]::VARCHAR AS attributes, seen[5]::VARCHAR AS meta
    FROM (
      SELECT line, seen, make_timestamp(seen[3]::DOUBLE::BIGINT * 1000) AS ts
      FROM (
        SELECT line, json_extract(raw, ['$.data.id', '$.data.type', '$.meta.created_at', '$.data.attributes', '$.meta']) AS seen
        FROM checked_lines({{files}})
        WHERE line NOT IN (SELECT line FROM dropped)
      ) AS lines
    ) AS timed
    UNION ALL
    SELECT line, id, type, created_at, date, hour, attributes, meta
    FROM staged
    WHERE bucket BETWEEN $2 AND $3 AND line NOT IN (SELECT line FROM dropped)
  ) AS events
) TO {{folder}} (FORMAT parquet, PARTITION_BY (type, date, hour), FILENAME_PATTERN {{name}}, RETURN_STATS);
