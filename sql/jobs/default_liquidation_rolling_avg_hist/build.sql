-- Recomputes the days of default_liquidation_rolling_avg_hist that this refresh covers (every
-- day in a full rebuild, the ranges plan.sql chose in an incremental one), compares them with the
-- published rows, and keeps what publish.sql must write: the rows that are new, changed or gone.
-- Run plan.sql first (it says how; with its defaults this is the full rebuild); then
-- `SELECT * FROM default_liquidation_rolling_avg_hist_next` shows what the refresh would write.
--
-- liquidation_to_default_ratio = liquidations / defaults, NULL when defaults = 0.
-- rolling_avg_7d = mean of the non-NULL ratios of the days of loans inside the window, NULL when
--   there are none. The window is a RANGE over dates, not a count of rows: a day missing from
--   loans shrinks the window instead of stretching it to an older day.
-- created_at = now(), the start of the refresh's transaction, on the rows it writes; a row whose
--   numbers come out the same as the published ones is not written and keeps its created_at.
--
-- Writing only what differs keeps a rebuild every minute from rewriting (and bloating) the whole
-- table when nothing changed, and costs one merge of two sorted inputs (bench/RESULTS.md, item 4).
DROP TABLE IF EXISTS pg_temp.default_liquidation_rolling_avg_hist_next;

CREATE TEMP TABLE default_liquidation_rolling_avg_hist_next AS
WITH params AS (
  SELECT mode, days_skipped, lookback FROM pg_temp.default_liquidation_rolling_avg_hist_plan
),
-- What to read in an incremental refresh: each range of days to recompute, widened back by its
-- first day's whole window. Each range starts after the previous one ends (the days in between are
-- read with it), so no day of loans is read twice.
reads AS (
  SELECT greatest(s.from_date - p.lookback,
                  lag(s.to_date) OVER (ORDER BY s.from_date) + 1) AS from_date,
         s.to_date
  FROM pg_temp.default_liquidation_rolling_avg_hist_scope s, params p
),
-- A full rebuild reads all of loans in one scan; an incremental refresh reads its ranges by index.
-- Only one branch runs (the other's condition is false before it starts).
days_read AS (
  SELECT repayment_date, number_of_loans, defaults, liquidations
  FROM loans
  WHERE (SELECT mode FROM params) = 'full'
  UNION ALL
  SELECT l.repayment_date, l.number_of_loans, l.defaults, l.liquidations
  FROM reads r
  CROSS JOIN LATERAL (
    SELECT * FROM loans WHERE repayment_date BETWEEN r.from_date AND r.to_date
  ) l
  WHERE (SELECT mode FROM params) = 'incremental'
),
ratios AS (
  SELECT *, liquidations::numeric / nullif(defaults, 0) AS liquidation_to_default_ratio
  FROM days_read
),
computed AS (
  SELECT repayment_date,
         number_of_loans,
         defaults,
         liquidations,
         liquidation_to_default_ratio,
         avg(liquidation_to_default_ratio) OVER (
           ORDER BY repayment_date
           RANGE BETWEEN make_interval(days => (SELECT lookback FROM params)) PRECEDING
                     AND make_interval(days => (SELECT days_skipped FROM params)) PRECEDING
         ) AS rolling_avg_7d
  FROM ratios
),
-- The days read only to fill windows are not recomputed.
recomputed AS (
  SELECT c.*
  FROM computed c
  WHERE EXISTS (
    SELECT FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
    WHERE c.repayment_date BETWEEN s.from_date AND s.to_date
  )
),
published AS (
  SELECT * FROM default_liquidation_rolling_avg_hist WHERE (SELECT mode FROM params) = 'full'
  UNION ALL
  SELECT h.*
  FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
  CROSS JOIN LATERAL (
    SELECT * FROM default_liquidation_rolling_avg_hist WHERE repayment_date BETWEEN s.from_date AND s.to_date
  ) h
  WHERE (SELECT mode FROM params) = 'incremental'
),
compared AS (
  SELECT coalesce(n.repayment_date, p.repayment_date) AS repayment_date,
         n.number_of_loans, n.defaults, n.liquidations, n.liquidation_to_default_ratio, n.rolling_avg_7d,
         CASE WHEN p.repayment_date IS NULL THEN 'insert'
              WHEN n.repayment_date IS NULL THEN 'delete'
              -- scale() too: numeric equality ignores it (0.00 = 0.0000), but the published text
              -- must be what a rebuild from scratch would write.
              WHEN (n.number_of_loans, n.defaults, n.liquidations,
                    n.liquidation_to_default_ratio, scale(n.liquidation_to_default_ratio),
                    n.rolling_avg_7d, scale(n.rolling_avg_7d))
                   IS DISTINCT FROM
                   (p.number_of_loans, p.defaults, p.liquidations,
                    p.liquidation_to_default_ratio, scale(p.liquidation_to_default_ratio),
                    p.rolling_avg_7d, scale(p.rolling_avg_7d))
                THEN 'update'
         END AS change
  FROM recomputed n
  FULL JOIN published p ON p.repayment_date = n.repayment_date
)
SELECT repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d,
       now() AS created_at, change
FROM compared
WHERE change IS NOT NULL;

-- Its size, for the plans of audit.sql and publish.sql.
ANALYZE pg_temp.default_liquidation_rolling_avg_hist_next;
