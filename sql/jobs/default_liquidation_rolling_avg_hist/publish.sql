-- Writes what build.sql recomputes, inside the job's transaction: every recomputed row is written
-- with this refresh's created_at (a full refresh: every row of the table), new days are inserted,
-- and the days of the refreshed ranges that loans no longer has are deleted. changed_at moves only
-- on a row whose numbers (or their text) changed. Plain DML rather than TRUNCATE or a rename:
-- readers are never blocked and, thanks to MVCC, see either the whole old version or the whole new
-- one, even inside a REPEATABLE READ transaction that started before the publish. Nobody sees the
-- new rows before the run commits; audit.sql checks them first, and a problem rolls them back.
--
-- Rewriting two million rows every minute must not bloat the table (docs/rolling-average.md,
-- "How it publishes"): the table's fillfactor of 50 (migration 0010) leaves room on every page
-- for a new version of each of its rows, so each update is a HOT update on the same page, which
-- adds no index entry, and the next refresh prunes the versions this one left behind.
--
-- A full rebuild updates the rows in the order of the table's primary key, which is also their
-- order on disk, as the window computes them: a merge join visits every page once, in order. With
-- a hash join they would be visited in hash order, each update reading and dirtying a page at
-- random, which on a table larger than shared_buffers made the publish several times slower.
-- An incremental refresh looks its few rows up by the primary key instead: the planner cannot
-- tell the modes apart (both read the same view), and a merge join would read the whole index
-- to reach a week at its end.
SELECT set_config('enable_mergejoin', 'off', true)
FROM pg_temp.default_liquidation_rolling_avg_hist_plan
WHERE mode = 'incremental';
SET LOCAL enable_hashjoin = off;

MERGE INTO default_liquidation_rolling_avg_hist h
USING pg_temp.default_liquidation_rolling_avg_hist_next n ON h.repayment_date = n.repayment_date
WHEN MATCHED THEN
  UPDATE SET number_of_loans = n.number_of_loans, defaults = n.defaults, liquidations = n.liquidations,
             liquidation_to_default_ratio = n.liquidation_to_default_ratio, rolling_avg_7d = n.rolling_avg_7d,
             created_at = now(),
             -- scale() too: numeric equality ignores it (1.0 = 1), but the text a reader sees changes.
             changed_at = CASE
               WHEN (h.number_of_loans, h.defaults, h.liquidations,
                     h.liquidation_to_default_ratio, scale(h.liquidation_to_default_ratio),
                     h.rolling_avg_7d, scale(h.rolling_avg_7d))
                    IS DISTINCT FROM
                    (n.number_of_loans, n.defaults, n.liquidations,
                     n.liquidation_to_default_ratio, scale(n.liquidation_to_default_ratio),
                     n.rolling_avg_7d, scale(n.rolling_avg_7d))
                 THEN now()
               ELSE h.changed_at
             END
WHEN NOT MATCHED THEN
  INSERT (repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d,
          created_at, changed_at)
  VALUES (n.repayment_date, n.number_of_loans, n.defaults, n.liquidations, n.liquidation_to_default_ratio,
          n.rolling_avg_7d, now(), now());

SET LOCAL enable_hashjoin TO DEFAULT;
SET LOCAL enable_mergejoin TO DEFAULT;

-- Every row of the refreshed ranges that loans still has now carries this refresh's created_at
-- (now() is the start of the transaction, the same in every statement of it); a row that does
-- not was not recomputed: its day is gone from loans. One pass over the ranges, instead of a
-- second join with the recomputed rows.
DELETE FROM default_liquidation_rolling_avg_hist h
USING pg_temp.default_liquidation_rolling_avg_hist_scope s
WHERE h.repayment_date BETWEEN s.from_date AND s.to_date
  AND h.created_at <> now();
