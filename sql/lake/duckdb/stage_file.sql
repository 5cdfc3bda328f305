-- The good lines of checked chunks ({{files}}, a list of the files written by lake/checkLines.ts: line, data.id,
-- data.type, meta.created_at and the line, separated by \x1f) into staged, as stage_lines.sql
-- does for the lines appended one by one; the same comparison of the two JSON readers.
INSERT INTO staged
SELECT line, id, type, ts::TIMESTAMPTZ, date, hour, seen[4]::VARCHAR, seen[5]::VARCHAR,
       type || '/' || date || '/' || hour,
       CASE WHEN seen[1] = to_json(id) AND seen[2] = to_json(type) AND TRY_CAST(seen[3] AS DOUBLE) = created_ms
            THEN NULL ELSE raw END
FROM (
  SELECT line, id, type, created_ms, raw, make_timestamp(created_ms::BIGINT * 1000) AS ts,
         strftime(ts, '%Y-%m-%d') AS date, strftime(ts, '%H') AS hour,
         json_extract(raw, ['$.data.id', '$.data.type', '$.meta.created_at', '$.data.attributes', '$.meta']) AS seen
  FROM read_csv({{files}}, delim = chr(31), quote = '', escape = '', header = false, new_line = '\n',
                auto_detect = false, max_line_size = 4194304,
                columns = {'line': 'BIGINT', 'id': 'VARCHAR', 'type': 'VARCHAR', 'created_ms': 'DOUBLE', 'raw': 'VARCHAR'})
) AS checked;
