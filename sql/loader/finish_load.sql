-- $1 load_id, $2 sha256, $3 as_of (jsonb), $4 rows_read, $5 rows_loaded, $6 rows_rejected,
-- $7 lines_blank, $8 rows_inserted, $9 rows_updated, $10 loader_version, $11 unchanged_since_load_id,
-- $12 file_bytes
-- loans_version is read here, after the load's last write and under its lock (lock_loans.sql).
UPDATE loads
SET sha256 = $2, as_of = $3, rows_read = $4, rows_loaded = $5, rows_rejected = $6, lines_blank = $7,
    rows_inserted = $8, rows_updated = $9, rows_unchanged = $5::int - $8::int - $9::int,
    loader_version = $10, unchanged_since_load_id = $11, file_bytes = $12,
    loans_version = (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM loans_changes_change_id_seq),
    finished_at = clock_timestamp()
WHERE load_id = $1;
