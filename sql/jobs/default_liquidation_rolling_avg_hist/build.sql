-- Recomputes the days of default_liquidation_rolling_avg_hist that this refresh covers (every
-- day in a full rebuild, the ranges plan.sql chose in an incremental one) into a temporary table
-- that audit.sql checks and publish.sql writes. Run plan.sql first (it says how; with its
-- defaults this is the full rebuild); then `SELECT * FROM default_liquidation_rolling_avg_hist_next`
-- shows what the refresh would publish.
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
-- The primary key refuses a day computed twice, and gives publish.sql the rows in date order: the
-- rows arrive in that order, so the index only ever grows at its right end.
CREATE TEMP TABLE default_liquidation_rolling_avg_hist_next (
  repayment_date               date    PRIMARY KEY,
  number_of_loans              integer NOT NULL,
  defaults                     integer NOT NULL,
  liquidations                 integer NOT NULL,
  liquidation_to_default_ratio numeric,
  rolling_avg_7d               numeric
) ON COMMIT DROP;

INSERT INTO pg_temp.default_liquidation_rolling_avg_hist_next
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
  SELECT *, liquidations::numeric / nullif(defaults, 0) AS ratio
  FROM days_read
),
computed AS (
  SELECT repayment_date,
         number_of_loans,
         defaults,
         liquidations,
         trim_scale(ratio) AS liquidation_to_default_ratio,
         trim_scale(avg(ratio) OVER (
           ORDER BY repayment_date
           RANGE BETWEEN make_interval(days => (SELECT lookback FROM params)) PRECEDING
                     AND make_interval(days => (SELECT days_skipped FROM params)) PRECEDING
         )) AS rolling_avg_7d
  FROM ratios
)
-- The days read only to fill windows are not recomputed.
SELECT c.*
FROM computed c
WHERE EXISTS (
  SELECT FROM pg_temp.default_liquidation_rolling_avg_hist_scope s
  WHERE c.repayment_date BETWEEN s.from_date AND s.to_date
);

-- Its size, for the plans of audit.sql and publish.sql.
ANALYZE pg_temp.default_liquidation_rolling_avg_hist_next;
