-- One batch of lines ({{raw}}: raw_lines_0 or raw_lines_1) into staged (lake/ingest.ts). DuckDB reads each line again: where its
-- reader sees a different data.id, data.type or meta.created_at than JSON.parse did, the line
-- repeats a key (JSON.parse keeps the last, DuckDB the first), and which event it is depends on
-- the reader; it is quarantined as duplicate_key rather than guessed.
CREATE TEMP TABLE batch AS
SELECT line::BIGINT AS line, id, type, created_ms, raw,
       json_extract(raw, ['$.data.id', '$.data.type', '$.meta.created_at', '$.data.attributes', '$.meta']) AS seen
FROM {{raw}};

INSERT INTO quarantined
SELECT line, 'duplicate_key',
       'the line repeats a key of the event, so readers disagree on its data.id, data.type or meta.created_at',
       encode(raw)
FROM batch
WHERE NOT (json_extract_string(seen[1], '$') IS NOT DISTINCT FROM id
           AND json_extract_string(seen[2], '$') IS NOT DISTINCT FROM type
           AND TRY_CAST(seen[3]::VARCHAR AS DOUBLE) = created_ms);

INSERT INTO staged
SELECT line, id, type, created_at, date, hour, attributes, meta, type || '/' || date || '/' || hour
FROM (
  SELECT line, id, type, make_timestamp(created_ms::BIGINT * 1000) AS ts, ts::TIMESTAMPTZ AS created_at,
         strftime(ts, '%Y-%m-%d') AS date, strftime(ts, '%H') AS hour,
         seen[4]::VARCHAR AS attributes, seen[5]::VARCHAR AS meta, seen, created_ms
  FROM batch
) AS b
WHERE json_extract_string(seen[1], '$') IS NOT DISTINCT FROM id
  AND json_extract_string(seen[2], '$') IS NOT DISTINCT FROM type
  AND TRY_CAST(seen[3]::VARCHAR AS DOUBLE) = created_ms;

DROP TABLE batch;
DELETE FROM {{raw}};
