-- An ingest's quarantined lines into one Parquet file: raw is the line's exact bytes.
COPY (
  SELECT $1::BIGINT AS ingest_id, $2::VARCHAR AS source, line, reason, detail, raw
  FROM quarantined
  ORDER BY line
) TO {{file}} (FORMAT parquet);
