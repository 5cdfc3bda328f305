-- Checks the rows built by build.sql before they are published. Every row returned is a
-- problem; no row means they may be published.
WITH next AS (SELECT * FROM pg_temp.default_liquidation_rolling_avg_hist_next),
-- The days of loans in the ranges recomputed (all of loans in a full rebuild), by index ranges.
loans_in_scope AS (
  SELECT count(*) AS n
  FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
  CROSS JOIN LATERAL (
    SELECT FROM loans WHERE repayment_date BETWEEN s.from_date AND s.to_date
  ) l
)
SELECT 'row count' AS check,
       format('%s rows built but loans has %s in the days recomputed', (SELECT count(*) FROM next), n) AS problem
FROM loans_in_scope
WHERE (SELECT count(*) FROM next) <> n
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
FROM next WHERE (defaults = 0) <> (liquidation_to_default_ratio IS NULL)
LIMIT 20;
