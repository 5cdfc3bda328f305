-- The reference of the rebuild comparison: what sql/jobs/default_liquidation_rolling_avg_hist/build.sql
-- computes with its default parameters (a 7-day calendar window ending on the row's own day),
-- stored as the job stores it (trim_scale, both timestamps), as one bare CREATE TABLE … AS SELECT,
-- without the job's audit, publish or run history. The benchmark drops the table before each run
-- (drop_reference.sql).
CREATE TABLE bench_rolling_avg_reference AS
SELECT repayment_date,
       number_of_loans,
       defaults,
       liquidations,
       trim_scale(liquidations::numeric / nullif(defaults, 0)) AS liquidation_to_default_ratio,
       trim_scale(avg(liquidations::numeric / nullif(defaults, 0)) OVER (
         ORDER BY repayment_date
         RANGE BETWEEN make_interval(days => 6) PRECEDING AND CURRENT ROW
       )) AS rolling_avg_7d,
       now() AS created_at,
       now() AS changed_at
FROM loans;
