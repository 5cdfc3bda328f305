-- The reference of the lake's query (item 10): the same question straight over the NDJSON file
-- {{file}}, read as lake_duckdb_copy.sql reads it: the lines of type {{type}} created from
-- {{from_ms}} (epoch ms, included) to {{to_ms}} (excluded). Run by `node dist/bench/duckdbCopy.js
-- bench/sql/lake_duckdb_query.sql file=<file> type=<type> from_ms=<ms> to_ms=<ms>`.
SELECT count(*) AS events, count(DISTINCT data.id) AS distinct_ids
FROM read_ndjson({{file}}, ignore_errors = true,
                 columns = {data: 'STRUCT(id VARCHAR, type VARCHAR, attributes JSON)',
                            meta: 'STRUCT(created_at BIGINT, service VARCHAR, version BIGINT, trace_id VARCHAR)'})
WHERE data.type = {{type}} AND meta.created_at >= {{from_ms}}::BIGINT AND meta.created_at < {{to_ms}}::BIGINT;
