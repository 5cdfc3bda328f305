-- Builds the rows of default_liquidation_rolling_avg_hist that this refresh recomputes (every row
-- in a full rebuild, the days plan.sql chose in an incremental one) into a temporary table that
-- audit.sql checks and publish.sql swaps in. Run plan.sql first (it says how; with its defaults
-- this is the full rebuild); then `SELECT * FROM default_liquidation_rolling_avg_hist_next` shows
-- the result.
--
-- liquidation_to_default_ratio = liquidations / defaults, NULL when defaults = 0.
-- rolling_avg_7d = mean of the non-NULL ratios of the days of loans inside the window, NULL when
--   there are none. The window is a RANGE over dates, not a count of rows: a day missing from
--   loans shrinks the window instead of stretching it to an older day.
-- created_at = now(), the start of the refresh's transaction: the same on every row it writes.
DROP TABLE IF EXISTS pg_temp.default_liquidation_rolling_avg_hist_next;

CREATE TEMP TABLE default_liquidation_rolling_avg_hist_next AS
WITH params AS (
  SELECT window_days, CASE WHEN include_current_day THEN 0 ELSE 1 END AS days_skipped
  FROM pg_temp.default_liquidation_rolling_avg_hist_plan
),
-- What to read: each range of days to recompute, widened back by its first day's whole window.
-- Each range starts after the previous one ends (the days in between are read with it), so no
-- day of loans is read twice.
reads AS (
  SELECT greatest(s.from_date - (p.window_days + p.days_skipped - 1),
                  lag(s.to_date) OVER (ORDER BY s.from_date) + 1) AS from_date,
         s.to_date
  FROM pg_temp.default_liquidation_rolling_avg_hist_scope s, params p
),
ratios AS MATERIALIZED (
  SELECT l.repayment_date, l.number_of_loans, l.defaults, l.liquidations,
         l.liquidations::numeric / nullif(l.defaults, 0) AS liquidation_to_default_ratio
  FROM reads r
  CROSS JOIN LATERAL (
    SELECT * FROM loans WHERE repayment_date BETWEEN r.from_date AND r.to_date
  ) l
),
computed AS (
  SELECT repayment_date,
         number_of_loans,
         defaults,
         liquidations,
         liquidation_to_default_ratio,
         avg(liquidation_to_default_ratio) OVER (
           ORDER BY repayment_date
           RANGE BETWEEN make_interval(days => (SELECT window_days + days_skipped - 1 FROM params)) PRECEDING
                     AND make_interval(days => (SELECT days_skipped FROM params)) PRECEDING
         ) AS rolling_avg_7d,
         now() AS created_at
  FROM ratios
)
-- The days read only to fill windows are not recomputed.
SELECT c.*
FROM computed c
WHERE EXISTS (
  SELECT FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
  WHERE c.repayment_date BETWEEN s.from_date AND s.to_date
);
