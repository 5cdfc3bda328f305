-- The newest load (the Overview page).
SELECT load_id, file, status, rows_read, rows_loaded, rows_rejected, rows_inserted, rows_updated,
       rows_unchanged, started_at, finished_at, unchanged_since_load_id, error
FROM loads
ORDER BY load_id DESC
LIMIT 1;
