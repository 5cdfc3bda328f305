-- Replaces the published rows by the audited new version, inside the job's transaction.
-- DELETE + INSERT rather than TRUNCATE or a rename: readers are never blocked and, thanks to
-- MVCC, see either the whole old version or the whole new one, even inside a REPEATABLE READ
-- transaction that started before the publish. The cost is one dead row version per row per
-- rebuild, which autovacuum reclaims (README, "Publishing").
DELETE FROM default_liquidation_rolling_avg_hist;

INSERT INTO default_liquidation_rolling_avg_hist
  (repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d, created_at)
SELECT repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d, created_at
FROM pg_temp.default_liquidation_rolling_avg_hist_next;

DROP TABLE pg_temp.default_liquidation_rolling_avg_hist_next;
