-- Builds the next version of default_liquidation_rolling_avg_hist from loans, into a temporary
-- table that audit.sql checks and publish.sql swaps in. Pasted by hand into psql or Adminer it
-- runs with the defaults; then `SELECT * FROM default_liquidation_rolling_avg_hist_next` shows it.
--
-- Parameters (the job runner sets them for its transaction with set_config):
--   job.window_days          length of the calendar window, in days              default 7
--   job.include_current_day  true:  the window is D-(n-1) … D (the row's own day)  default true
--                            false: the window is D-n … D-1 (the n days before D)
--
-- liquidation_to_default_ratio = liquidations / defaults, NULL when defaults = 0.
-- rolling_avg_7d = mean of the non-NULL ratios of the days of loans inside the window, NULL when
--   there are none. The window is a RANGE over dates, not a count of rows: a day missing from
--   loans shrinks the window instead of stretching it to an older day.
-- created_at = now(), the start of the rebuild's transaction: the same on every row.
DROP TABLE IF EXISTS pg_temp.default_liquidation_rolling_avg_hist_next;

CREATE TEMP TABLE default_liquidation_rolling_avg_hist_next AS
WITH params AS (
  SELECT coalesce(nullif(current_setting('job.window_days', true), ''), '7')::int AS window_days,
         CASE WHEN coalesce(nullif(current_setting('job.include_current_day', true), ''), 'true')::boolean
              THEN 0 ELSE 1 END AS days_skipped
),
ratios AS (
  SELECT repayment_date, number_of_loans, defaults, liquidations,
         liquidations::numeric / nullif(defaults, 0) AS liquidation_to_default_ratio
  FROM loans
)
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
FROM ratios;
