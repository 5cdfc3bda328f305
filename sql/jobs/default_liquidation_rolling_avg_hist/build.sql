-- Defines what this refresh recomputes: the days of default_liquidation_rolling_avg_hist it covers
-- (every day in a full rebuild, the ranges plan.sql chose in an incremental one), as a temporary
-- view that publish.sql writes into the table and audit.sql then checks there. Run plan.sql first
-- (it says how; with its defaults this is the full rebuild); then
-- `SELECT * FROM default_liquidation_rolling_avg_hist_next` shows what the refresh would publish.
--
-- A view, not a table of its own: the full rebuild's MERGE reads the window's rows as they come,
-- in date order, straight into the merge join with the published table. Storing two million rows
-- in a temporary table first, with an index to join on, cost as much again as computing them
-- (bench/RESULTS.md, section 4). A day computed twice is still refused: MERGE fails rather than
-- update a row twice, and the table's primary key refuses a second insert.
--
-- liquidation_to_default_ratio = liquidations / defaults, NULL when defaults = 0.
-- rolling_avg_7d = mean of the non-NULL ratios of the days of loans inside the window, NULL when
--   there are none. The window is a RANGE over dates, not a count of rows: a day missing from
--   loans shrinks the window instead of stretching it to an older day.
-- Both are stored as trim_scale() of the quotient and the mean as PostgreSQL computes them (at
-- least 16 significant digits), without trailing zeros: 1 rather than 1.00000000000000000000, one
-- text for one value however it came about. The mean is taken over the
-- untrimmed ratios, so its precision does not depend on how many zeros a ratio happened to end in.
--
-- The view depends on plan.sql's temporary tables, so it is dropped with them when the
-- transaction ends.
CREATE TEMP VIEW default_liquidation_rolling_avg_hist_next AS
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
-- A full rebuild reads all of loans in one scan and recomputes every day; an incremental refresh
-- reads its ranges by index, and recomputes only the days of the scope (the days before them are
-- read only to fill windows). Only one branch runs (the other's condition is false before it starts).
days_read AS (
  SELECT repayment_date, number_of_loans, defaults, liquidations, true AS recompute
  FROM loans
  WHERE (SELECT mode FROM params) = 'full'
  UNION ALL
  SELECT l.repayment_date, l.number_of_loans, l.defaults, l.liquidations,
         EXISTS (SELECT FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
                 WHERE l.repayment_date BETWEEN s.from_date AND s.to_date)
  FROM reads r
  CROSS JOIN LATERAL (
    SELECT * FROM loans WHERE repayment_date BETWEEN r.from_date AND r.to_date
  ) l
  WHERE (SELECT mode FROM params) = 'incremental'
),
ratios AS (
  SELECT *, liquidations::numeric / nullif(defaults, 0) AS ratio
  FROM days_read
),
computed AS (
  SELECT repayment_date,
         number_of_loans,
         defaults,
         liquidations,
         recompute,
         trim_scale(ratio) AS liquidation_to_default_ratio,
         trim_scale(avg(ratio) OVER (
           ORDER BY repayment_date
           RANGE BETWEEN make_interval(days => (SELECT lookback FROM params)) PRECEDING
                     AND make_interval(days => (SELECT days_skipped FROM params)) PRECEDING
         )) AS rolling_avg_7d
  FROM ratios
)
SELECT repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d
FROM computed
WHERE recompute
-- The order the window computes them in, said out loud: without it the planner does not carry the
-- order out of the view, and sorted the two million rows again before the merge join.
ORDER BY repayment_date;
