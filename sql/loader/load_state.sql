-- What the loader decides before reading the file, under the lock of lock_loans.sql:
--   loans_empty:   the rows can be copied straight into loans, without a staging table;
--   loans_version: the last value of loans_changes_change_id_seq, which every write to loans moves;
--   last_*:        the last successful load before this one ($1), to recognise the same file
--                  over an unchanged table (then nothing needs reading).
SELECT NOT EXISTS (SELECT FROM loans) AS loans_empty,
       (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM loans_changes_change_id_seq) AS loans_version,
       last.load_id          AS last_load_id,
       last.sha256           AS last_sha256,
       last.file_bytes       AS last_file_bytes,
       last.loader_version   AS last_loader_version,
       last.loans_version    AS last_loans_version,
       last.as_of            AS last_as_of,
       last.rows_read        AS last_rows_read,
       last.rows_loaded      AS last_rows_loaded,
       last.rows_rejected    AS last_rows_rejected,
       last.lines_blank      AS last_lines_blank,
       coalesce(last.unchanged_since_load_id, last.load_id) AS last_read_by_load_id
FROM (SELECT) AS here
LEFT JOIN LATERAL (
  SELECT * FROM loads WHERE status = 'succeeded' AND load_id < $1 ORDER BY load_id DESC LIMIT 1
) AS last ON true;
