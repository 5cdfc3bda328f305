-- Checks what build.sql recomputed before publish.sql writes it. Every row returned is a problem;
-- no row means it may be published. The rows outside the days recomputed passed these checks when
-- they were written (and the table's CHECK constraints and primary key hold them too).
WITH next AS (SELECT * FROM pg_temp.default_liquidation_rolling_avg_hist_next),
-- The days of loans the refresh covers, against the rows recomputed for them: the whole table in a
-- full rebuild (a scan counts faster than index ranges), index ranges in an incremental one. Only
-- the branch of the mode runs.
refresh AS (SELECT mode = 'full' AS is_full FROM pg_temp.default_liquidation_rolling_avg_hist_plan),
counts AS (
  SELECT (SELECT count(*) FROM next) AS recomputed,
         CASE WHEN (SELECT is_full FROM refresh)
              THEN (SELECT count(*) FROM loans)
              ELSE (SELECT count(*)
                    FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
                    CROSS JOIN LATERAL (SELECT FROM loans WHERE repayment_date BETWEEN s.from_date AND s.to_date) l)
         END AS loans
)
SELECT 'row count' AS check,
       format('%s rows recomputed for the days covered, but loans has %s there', recomputed, loans) AS problem
FROM counts
WHERE recomputed <> loans
UNION ALL
-- Each recomputed row against the rules, in one pass (a day recomputed twice cannot get here: the
-- temporary table's primary key refuses it).
SELECT broken.check, broken.problem
FROM next
CROSS JOIN LATERAL (
  SELECT 'ratio >= 0' AS check,
         format('%s: liquidation_to_default_ratio is %s', repayment_date, liquidation_to_default_ratio) AS problem
  WHERE liquidation_to_default_ratio < 0
  UNION ALL
  SELECT 'rolling_avg_7d >= 0', format('%s: rolling_avg_7d is %s', repayment_date, rolling_avg_7d)
  WHERE rolling_avg_7d < 0
  UNION ALL
  SELECT 'ratio NULL exactly when defaults = 0',
         format('%s: defaults %s, ratio %s', repayment_date, defaults, liquidation_to_default_ratio)
  WHERE (defaults = 0) <> (liquidation_to_default_ratio IS NULL)
) broken
-- The same conditions again, so that only the rows that break a rule reach the lateral list.
WHERE liquidation_to_default_ratio < 0 OR rolling_avg_7d < 0
   OR (defaults = 0) <> (liquidation_to_default_ratio IS NULL)
LIMIT 20;
