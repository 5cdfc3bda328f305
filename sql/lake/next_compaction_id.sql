-- The id of a new compaction, taken before its files are written: they are named after it
-- (compaction-<id>-<n>.parquet), and its lake_compactions row is inserted with it at the end.
SELECT nextval(pg_get_serial_sequence('lake_compactions', 'compaction_id')) AS compaction_id;
