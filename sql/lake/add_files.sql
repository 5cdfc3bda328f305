-- New lake files ($1 … $11, arrays side by side): part of the lake when this transaction commits.
INSERT INTO lake_files
  (path, content, event_type, event_date, event_hour, rows, bytes, min_created_at, max_created_at, ingest_id, compaction_id)
SELECT *
FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::smallint[], $6::bigint[], $7::bigint[],
            $8::timestamptz[], $9::timestamptz[], $10::bigint[], $11::bigint[]);
