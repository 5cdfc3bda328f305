-- The live events files a query may read (lake/queryFiles.ts): those whose partition and created_at
-- range can hold rows of one reading of events as lake/queryPlan.ts bounded it. A NULL bound does
-- not constrain; node-postgres sends unnamed statements, planned with these values, so the bounds
-- given reach the lake_files_live index and the others fold away.
-- $1 types (one of), $2 type prefixes (each of), $3 … $4 created_at (inclusive) overlapping
-- [min_created_at, max_created_at], $5 … $6 event_date, $7 event_hour (one of).
SELECT path, event_type, event_date, event_hour, rows, bytes, min_created_at, max_created_at
FROM lake_files
WHERE content = 'events'
  AND removed_at IS NULL
  AND ($1::text[] IS NULL OR event_type = ANY ($1::text[]))
  AND ($2::text[] IS NULL OR NOT EXISTS (SELECT FROM unnest($2::text[]) AS p (prefix) WHERE NOT starts_with(event_type, p.prefix)))
  AND ($3::timestamptz IS NULL OR max_created_at >= $3::timestamptz)
  AND ($4::timestamptz IS NULL OR min_created_at <= $4::timestamptz)
  AND ($5::date IS NULL OR event_date >= $5::date)
  AND ($6::date IS NULL OR event_date <= $6::date)
  AND ($7::smallint[] IS NULL OR event_hour = ANY ($7::smallint[]))
ORDER BY path;
