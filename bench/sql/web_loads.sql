-- The dashboard's bench (item 12): $1 loads of loans.csv, one a day up to now, every third one
-- with $2 rejected lines (one reason of four each; some raw lines hold HTML that the page must
-- show as text), every fifth one unchanged since the load before it, the last one failed.
-- By hand: replace $1 with 200 and $2 with 500.
WITH loads_made AS (
  INSERT INTO loads (file, file_bytes, sha256, status, strict, as_of, rows_read, rows_loaded, rows_rejected,
                     lines_blank, rows_inserted, rows_updated, rows_unchanged, started_at, finished_at, error)
  SELECT '/data/loans-' || to_char(now() - ($1::int - i) * interval '1 day', 'YYYY-MM-DD') || '.csv',
         40000 + i, md5('bench-load-' || i) || md5('bench-load-' || i),
         CASE WHEN i = $1::int THEN 'failed' ELSE 'succeeded' END,
         false, '{"defaults": "2024-05-09"}',
         1000 + i, CASE WHEN i = $1::int THEN NULL ELSE 1000 + i - CASE WHEN i % 3 = 0 THEN $2::int ELSE 0 END END,
         CASE WHEN i % 3 = 0 THEN $2::int ELSE 0 END, i % 2,
         CASE WHEN i = $1::int THEN NULL ELSE 1 END, CASE WHEN i = $1::int THEN NULL ELSE 10 END,
         CASE WHEN i = $1::int THEN NULL ELSE 990 + i - CASE WHEN i % 3 = 0 THEN $2::int ELSE 0 END END,
         now() - ($1::int - i) * interval '1 day',
         now() - ($1::int - i) * interval '1 day' + interval '800 milliseconds',
         CASE WHEN i = $1::int THEN 'header: expected the column repayment_date, found "date"' END
  FROM generate_series(1, $1::int) AS i
  ORDER BY i
  RETURNING load_id, rows_rejected
)
INSERT INTO load_rejects (load_id, line_number, raw_line, reason)
SELECT l.load_id, 1 + line, raw, reason
FROM loads_made l
CROSS JOIN LATERAL generate_series(1, l.rows_rejected) AS line
CROSS JOIN LATERAL (
  SELECT CASE line % 4
           WHEN 0 THEN format('2024-%s-01,100,7', lpad((1 + line % 12)::text, 2, '0'))
           WHEN 1 THEN format('2024-02-30,%s,3,1', line)
           WHEN 2 THEN format('<script>alert(%s)</script>,1,2,3', line)
           ELSE format('2024-01-01,<img src=x onerror=alert(%s)>,2,3', line)
         END AS raw,
         CASE line % 4
           WHEN 0 THEN 'expected 4 fields, found 3'
           WHEN 1 THEN 'repayment_date: 2024-02-30 is not a day of the calendar'
           WHEN 2 THEN 'repayment_date: not a date (YYYY-MM-DD)'
           ELSE 'number_of_loans: not a whole number'
         END AS reason
) AS r;
