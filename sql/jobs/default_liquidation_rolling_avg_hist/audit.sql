-- Checks what build.sql would write before publish.sql writes it. Every row returned is a
-- problem; no row means it may be published. The rows left as they are passed these checks when
-- they were written (and the table's CHECK constraints and primary key hold them too).
WITH next AS (SELECT * FROM pg_temp.default_liquidation_rolling_avg_hist_next),
-- Rows the table will have in the days recomputed, against the days of loans there: whole tables
-- in a full rebuild (a scan counts faster than index ranges), index ranges in an incremental one.
-- Only the branch of the mode runs.
refresh AS (SELECT mode = 'full' AS is_full FROM pg_temp.default_liquidation_rolling_avg_hist_plan),
counts AS (
  SELECT CASE WHEN (SELECT is_full FROM refresh)
              THEN (SELECT count(*) FROM default_liquidation_rolling_avg_hist)
              ELSE (SELECT count(*)
                    FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
                    CROSS JOIN LATERAL (
                      SELECT FROM default_liquidation_rolling_avg_hist
                      WHERE repayment_date BETWEEN s.from_date AND s.to_date
                    ) h)
         END
         + (SELECT count(*) FILTER (WHERE change = 'insert') - count(*) FILTER (WHERE change = 'delete') FROM next)
           AS published,
         CASE WHEN (SELECT is_full FROM refresh)
              THEN (SELECT count(*) FROM loans)
              ELSE (SELECT count(*)
                    FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
                    CROSS JOIN LATERAL (SELECT FROM loans WHERE repayment_date BETWEEN s.from_date AND s.to_date) l)
         END AS loans
)
SELECT 'row count' AS check,
       format('the table would have %s rows in the days recomputed but loans has %s', published, loans) AS problem
FROM counts
WHERE published <> loans
UNION ALL
SELECT 'unique dates', format('%s appears %s times', repayment_date, count(*))
FROM next GROUP BY repayment_date HAVING count(*) > 1
UNION ALL
SELECT 'ratio >= 0', format('%s: liquidation_to_default_ratio is %s', repayment_date, liquidation_to_default_ratio)
FROM next WHERE liquidation_to_default_ratio < 0
UNION ALL
SELECT 'rolling_avg_7d >= 0', format('%s: rolling_avg_7d is %s', repayment_date, rolling_avg_7d)
FROM next WHERE rolling_avg_7d < 0
UNION ALL
SELECT 'ratio NULL exactly when defaults = 0', format('%s: defaults %s, ratio %s', repayment_date, defaults, liquidation_to_default_ratio)
FROM next WHERE change <> 'delete' AND (defaults = 0) <> (liquidation_to_default_ratio IS NULL)
LIMIT 20;
