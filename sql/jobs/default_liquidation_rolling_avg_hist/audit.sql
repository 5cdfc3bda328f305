-- Checks what publish.sql wrote, before the run commits it. Every row returned is a problem; no
-- row means the new version may be committed, and a problem rolls it back: the previous version
-- stays published, as if this refresh had not run. Checked are the table's rows of the days this
-- refresh covered, as they now are inside the transaction (what readers will see at the commit),
-- not a copy of them. The rows outside those days passed these checks when they were written. A
-- negative ratio or mean, or a day twice, never gets this far: the table's CHECK constraints and
-- primary key refuse them in the publish itself.
WITH refresh AS (SELECT mode = 'full' AS is_full FROM pg_temp.default_liquidation_rolling_avg_hist_plan),
-- The rows of the days covered: the whole table in a full rebuild (a scan reads faster than index
-- ranges), index ranges in an incremental one. Only the branch of the mode runs. Not materialized:
-- the rule below reads it again only when the count found a row that breaks it.
written AS NOT MATERIALIZED (
  SELECT repayment_date, defaults, liquidation_to_default_ratio
  FROM default_liquidation_rolling_avg_hist
  WHERE (SELECT is_full FROM refresh)
  UNION ALL
  SELECT h.repayment_date, h.defaults, h.liquidation_to_default_ratio
  FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
  CROSS JOIN LATERAL (
    SELECT * FROM default_liquidation_rolling_avg_hist WHERE repayment_date BETWEEN s.from_date AND s.to_date
  ) h
  WHERE NOT (SELECT is_full FROM refresh)
),
-- publish.sql deleted the rows of those days that it did not write, so they hold one row per day
-- of loans there, unless the build missed or invented a day.
counts AS (
  SELECT written.rows, written.broken,
         CASE WHEN (SELECT is_full FROM refresh)
              THEN (SELECT count(*) FROM loans)
              ELSE (SELECT count(*)
                    FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
                    CROSS JOIN LATERAL (SELECT FROM loans WHERE repayment_date BETWEEN s.from_date AND s.to_date) l)
         END AS loans
  FROM (
    SELECT count(*) AS rows,
           count(*) FILTER (WHERE (defaults = 0) <> (liquidation_to_default_ratio IS NULL)) AS broken
    FROM written
  ) written
)
SELECT 'row count' AS check,
       format('%s rows written for the days covered, but loans has %s there', rows, loans) AS problem
FROM counts
WHERE rows <> loans
UNION ALL
-- The ratio is liquidations / defaults: NULL exactly when defaults = 0. The rows are listed only
-- when the count above found one.
SELECT 'ratio NULL exactly when defaults = 0',
       format('%s: defaults %s, ratio %s', repayment_date, defaults, liquidation_to_default_ratio)
FROM written
WHERE (SELECT broken FROM counts) > 0
  AND (defaults = 0) <> (liquidation_to_default_ratio IS NULL)
LIMIT 20;
