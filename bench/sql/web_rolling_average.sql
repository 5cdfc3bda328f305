-- The dashboard's bench (item 12): $1 consecutive days in default_liquidation_rolling_avg_hist
-- from 0001-01-01, as a full refresh with the default window (7 days, the day itself included)
-- would have published them: the ratio is NULL on the days without a default (one in 25), the
-- rolling average the mean of the non-NULL ratios of its window (build.sql's computation), both
-- trim_scale()d, created_at and changed_at one refresh's time. Into the migrated table, so that
-- its fillfactor of 50 and its primary key are the real ones. With it, the state row that
-- records the window. Run on an empty table. By hand: replace $1 with 2000000.
WITH state AS (
  INSERT INTO default_liquidation_rolling_avg_hist_state (window_days, include_current_day, mode, refreshed_at)
  VALUES (7, true, 'full', now())
), days AS (
  SELECT date '0001-01-01' + i AS repayment_date,
         100 + (hashint4(i) & 2147483647) % 900 AS number_of_loans,
         CASE WHEN i % 25 = 7 THEN 0 ELSE 1 + (hashint4(i + 1000003) & 2147483647) % 40 END AS defaults,
         (hashint4(i + 2000003) & 2147483647) % 50 AS liquidations
  FROM generate_series(0, $1::int - 1) AS i
), ratios AS (
  SELECT *, liquidations::numeric / nullif(defaults, 0) AS ratio FROM days
)
INSERT INTO default_liquidation_rolling_avg_hist (repayment_date, number_of_loans, defaults, liquidations,
                                                  liquidation_to_default_ratio, rolling_avg_7d, created_at, changed_at)
SELECT repayment_date, number_of_loans, defaults, liquidations,
       trim_scale(ratio),
       trim_scale(avg(ratio) OVER (ORDER BY repayment_date RANGE BETWEEN interval '6 days' PRECEDING AND CURRENT ROW)),
       now(), now()
FROM ratios
ORDER BY repayment_date;
