-- $1 load_id, $2 sha256, $3 as_of (jsonb), $4 rows_read, $5 rows_loaded, $6 rows_rejected,
-- $7 lines_blank, $8 rows_inserted, $9 rows_updated
UPDATE loads
SET sha256 = $2, as_of = $3, rows_read = $4, rows_loaded = $5, rows_rejected = $6, lines_blank = $7,
    rows_inserted = $8, rows_updated = $9, rows_unchanged = $5::int - $8::int - $9::int, finished_at = clock_timestamp()
WHERE load_id = $1;
