-- The events of a range of partitions (keys $1 to $2, see staged_partitions.sql) into Parquet,
-- one folder per partition under {{folder}}, Hive-style; a partition's columns are in its path.
-- A range at a time keeps the number of files open at once, and so the memory, bounded.
COPY (
  SELECT id, created_at, attributes, meta, $3::BIGINT AS ingest_id, line AS source_line, type, date, hour
  FROM sorted
  WHERE key BETWEEN $1 AND $2
) TO {{folder}} (FORMAT parquet, PARTITION_BY (type, date, hour), FILENAME_PATTERN {{name}}, RETURN_STATS);
