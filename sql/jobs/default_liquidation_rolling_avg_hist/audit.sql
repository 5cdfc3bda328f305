-- Checks the version built by build.sql before it is published. Every row returned is a
-- problem; no row means it may be published.
WITH next AS (SELECT * FROM pg_temp.default_liquidation_rolling_avg_hist_next)
SELECT 'row count' AS check,
       format('%s rows built but loans has %s', (SELECT count(*) FROM next), (SELECT count(*) FROM loans)) AS problem
WHERE (SELECT count(*) FROM next) <> (SELECT count(*) FROM loans)
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
