-- The reference of the lake's ingest (item 10): DuckDB's own single statement from the NDJSON file
-- {{file}} to Parquet under {{out}}, partitioned like the lake, validating nothing. Run by
-- `node dist/bench/duckdbCopy.js bench/sql/lake_duckdb_copy.sql file=<file> out=<folder>`.
--
-- Two things a person has to add before DuckDB gets through the generator's file at all:
-- - columns: with lines that are JSON but not objects among the first ones, read_ndjson's
--   detection falls back to one column named json and data.id does not bind (records=true then
--   fails in the binder, ignore_errors or not). Given, attributes stays JSON text; meta is the
--   generator's four fields (a meta of JSON type makes created_at a cast, which a NaN fails
--   outright, ignore_errors or not).
-- - the WHERE: a type of 300 characters makes a folder name too long, and the whole COPY fails
--   ("File name too long"). Every other hostile type is written as a folder of its own, escaped
--   (type=..%2Fuser_created); unreadable lines become NULL rows that the WHERE drops.
COPY (
  SELECT data.id AS id,
         data.type AS type,
         make_timestamp(meta.created_at * 1000) AS created_at,
         to_json(data.attributes) AS attributes,
         to_json(meta) AS meta,
         strftime(make_timestamp(meta.created_at * 1000), '%Y-%m-%d') AS date,
         strftime(make_timestamp(meta.created_at * 1000), '%H') AS hour
  FROM read_ndjson({{file}}, ignore_errors = true,
                   columns = {data: 'STRUCT(id VARCHAR, type VARCHAR, attributes JSON)',
                              meta: 'STRUCT(created_at BIGINT, service VARCHAR, version BIGINT, trace_id VARCHAR)'})
  WHERE length(data.type) <= 100
) TO {{out}} (FORMAT parquet, PARTITION_BY (type, date, hour));
