-- The query command's view of the lake's events: the files the plan chose ({{files}}, local
-- copies whose paths keep the lake's layout), the partition columns type, date and hour read from
-- the path (events/type=<t>/date=<d>/hour=<hh>/). events_view_empty.sql has the same columns.
CREATE OR REPLACE VIEW events AS
SELECT id, type, created_at, date, hour, attributes, meta, ingest_id, source_line
FROM read_parquet({{files}}, hive_partitioning = true,
                  hive_types = {'type': VARCHAR, 'date': DATE, 'hour': INTEGER});
