-- One batch of lines ({{raw}}: raw_lines_0 or raw_lines_1) into staged (lake/ingest.ts), in one
-- pass. DuckDB reads each line again, for attributes and meta; where its reader sees another
-- data.id, data.type or meta.created_at than JSON.parse did, the line repeats a key (JSON.parse
-- keeps the last, DuckDB the first) and which event it is depends on the reader: its bytes are
-- kept in conflict, and finish_staging.sql moves it to the quarantine as duplicate_key rather
-- than guess. json_extract gives values re-serialised, as to_json writes them: comparable as text.
INSERT INTO staged
SELECT line, id, type, ts::TIMESTAMPTZ, strftime(ts, '%Y-%m-%d'), strftime(ts, '%H'), seen[4]::VARCHAR,
       seen[5]::VARCHAR, bucket,
       CASE WHEN seen[1] = to_json(id) AND seen[2] = to_json(type) AND TRY_CAST(seen[3] AS DOUBLE) = created_ms
            THEN NULL ELSE raw END
FROM (
  SELECT line::BIGINT AS line, id, type, created_ms, bucket, raw, make_timestamp(created_ms::BIGINT * 1000) AS ts,
         json_extract(raw, ['$.data.id', '$.data.type', '$.meta.created_at', '$.data.attributes', '$.meta']) AS seen
  FROM {{raw}}
) AS batch;

DELETE FROM {{raw}};
