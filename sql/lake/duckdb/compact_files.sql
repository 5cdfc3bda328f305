-- Some files of one partition ({{files}}) rewritten as one ({{file}}): the columns of an
-- ingest's files (write_events.sql), in the same order, each row as it was (ingest_id and
-- source_line still say where it came from). Sorted by created_at (then id), so that the row
-- groups' created_at statistics let a reader skip what a time filter excludes. The partition's
-- columns are in its path, not in the files: hive_partitioning is off so they are not added.
COPY (
  SELECT id, created_at, attributes, meta, ingest_id, source_line
  FROM read_parquet({{files}}, hive_partitioning = false)
  ORDER BY created_at, id
) TO {{file}} (FORMAT parquet);
