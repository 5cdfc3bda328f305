-- One batch of raw_lines into staged (lake/ingest.ts). DuckDB reads each line again: where its
-- reader sees a different data.id, data.type or meta.created_at than JSON.parse did, the line
-- repeats a key (JSON.parse keeps the last, DuckDB the first), and which event it is depends on
-- the reader; it is quarantined as duplicate_key rather than guessed.
CREATE TEMP TABLE batch AS
SELECT line, id, type, created_ms, raw,
       json_extract(raw, ['$.data.id', '$.data.type', '$.meta.created_at', '$.data.attributes', '$.meta']) AS seen
FROM raw_lines;

INSERT INTO quarantined
SELECT line, 'duplicate_key',
       'the line repeats a key of the event, so readers disagree on its data.id, data.type or meta.created_at',
       encode(raw)
FROM batch
WHERE NOT (json_extract_string(seen[1], '$') IS NOT DISTINCT FROM id
           AND json_extract_string(seen[2], '$') IS NOT DISTINCT FROM type
           AND TRY_CAST(seen[3]::VARCHAR AS DOUBLE) = created_ms);

INSERT INTO staged
SELECT line, id, type, make_timestamp(created_ms::BIGINT * 1000) AS created_at,
       strftime(make_timestamp(created_ms::BIGINT * 1000), '%Y-%m-%d'), strftime(make_timestamp(created_ms::BIGINT * 1000), '%H'),
       seen[4]::VARCHAR, seen[5]::VARCHAR
FROM batch
WHERE json_extract_string(seen[1], '$') IS NOT DISTINCT FROM id
  AND json_extract_string(seen[2], '$') IS NOT DISTINCT FROM type
  AND TRY_CAST(seen[3]::VARCHAR AS DOUBLE) = created_ms;

DROP TABLE batch;
DELETE FROM raw_lines;
