-- Writes what build.sql found different, inside the job's transaction, in one statement: the days
-- gone from loans are deleted, the changed ones updated, the new ones inserted; every other row is
-- not touched and keeps its created_at. Plain DML rather than TRUNCATE or a rename: readers are
-- never blocked and, thanks to MVCC, see either the whole old version or the whole new one, even
-- inside a REPEATABLE READ transaction that started before the publish. Each row written leaves
-- one dead row version, which autovacuum reclaims (README, "The rolling-average workflow and how it
-- publishes").
MERGE INTO default_liquidation_rolling_avg_hist h
USING pg_temp.default_liquidation_rolling_avg_hist_next n ON h.repayment_date = n.repayment_date
WHEN MATCHED AND n.change = 'delete' THEN
  DELETE
WHEN MATCHED THEN
  UPDATE SET number_of_loans = n.number_of_loans, defaults = n.defaults, liquidations = n.liquidations,
             liquidation_to_default_ratio = n.liquidation_to_default_ratio, rolling_avg_7d = n.rolling_avg_7d,
             created_at = n.created_at
WHEN NOT MATCHED AND n.change = 'insert' THEN
  INSERT (repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d, created_at)
  VALUES (n.repayment_date, n.number_of_loans, n.defaults, n.liquidations, n.liquidation_to_default_ratio,
          n.rolling_avg_7d, n.created_at);
