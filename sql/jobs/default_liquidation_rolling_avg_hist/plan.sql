-- Decides which days of default_liquidation_rolling_avg_hist this refresh recomputes; build.sql,
-- audit.sql and publish.sql then work on those days only, and record.sql notes what was done.
-- Run all five in one REPEATABLE READ transaction (the job does): the changes consumed here are
-- then exactly the ones its reads of loans reflect. By hand, in psql, from this folder:
--   BEGIN ISOLATION LEVEL REPEATABLE READ;
--   SET LOCAL job.mode = 'incremental';    -- optional, as are job.window_days and job.include_current_day
--   \i plan.sql
--   \i build.sql
--   \i audit.sql                           -- no row: all is well; otherwise ROLLBACK
--   \i publish.sql
--   \i record.sql
--   COMMIT;
--
-- Parameters (the job runner sets them for its transaction with set_config):
--   job.mode                 'full': every day                                    default full
--                            'incremental': the days whose window a change logged in
--                            loans_changes touched; a full rebuild instead when there is no
--                            record of an earlier refresh, when it used another window, or when
--                            loans was truncated
--   job.window_days          length of the calendar window, in days              default 7
--   job.include_current_day  true: D-(n-1) … D; false: D-n … D-1                  default true
--
-- Leaves three temporary tables, dropped when the transaction ends (ON COMMIT DROP: nothing to
-- clean up first, so the file runs without notices in a fresh session):
--   …_changes  the entries of loans_changes this refresh consumes: all it can see, in both modes,
--              so that an incremental refresh after a full one starts from what the full one saw
--   …_plan     one row: the window, the mode it runs in, and why it is full if incremental was asked
--   …_scope    the days to recompute, as disjoint ranges; (-infinity, infinity) for a full rebuild
-- and returns the mode and full_because (NULL unless an incremental refresh was asked for and cannot be).
-- First, before any query takes the transaction's snapshot: no TRUNCATE of loans can commit from
-- now until this refresh commits. A TRUNCATE is not MVCC-safe: committed between the snapshot and
-- the first read of loans, it would make loans look empty to this refresh, which would then
-- publish an empty table. (The job sets its parameters with SET LOCAL, which takes no snapshot.)
LOCK TABLE loans IN ACCESS SHARE MODE;

-- And no VACUUM or ANALYZE of the published table runs alongside this refresh (readers and writers
-- are not blocked: SHARE UPDATE EXCLUSIVE conflicts only with maintenance and schema changes). A
-- full refresh rewrites every row as HOT updates into the room the previous refresh's old
-- versions leave once pruned; an autovacuum that started while the previous refresh was still
-- running holds that refresh's versions alive, so they could not be pruned, the rows no longer
-- fitted their pages, and the table doubled in one refresh (measured: 1.7 million of 2 million
-- updates not HOT). Autovacuum cannot start while the lock is held, and one already running is
-- cancelled by PostgreSQL after deadlock_timeout (1 s) of this wait; a manual VACUUM, or one
-- against wraparound, is waited for.
LOCK TABLE default_liquidation_rolling_avg_hist IN SHARE UPDATE EXCLUSIVE MODE;

CREATE TEMP TABLE default_liquidation_rolling_avg_hist_changes ON COMMIT DROP AS
SELECT change_id, operation, from_date, to_date FROM loans_changes;

CREATE TEMP TABLE default_liquidation_rolling_avg_hist_plan ON COMMIT DROP AS
WITH params AS (
  SELECT coalesce(nullif(current_setting('job.mode', true), ''), 'full') AS requested,
         coalesce(nullif(current_setting('job.window_days', true), ''), '7')::int AS window_days,
         coalesce(nullif(current_setting('job.include_current_day', true), ''), 'true')::boolean AS include_current_day
),
decided AS (
  SELECT p.*,
         CASE
           WHEN p.requested <> 'incremental' THEN NULL
           WHEN s.singleton IS NULL
             THEN 'no earlier refresh is recorded (default_liquidation_rolling_avg_hist_state is empty)'
           WHEN (s.window_days, s.include_current_day) IS DISTINCT FROM (p.window_days, p.include_current_day)
             THEN format('the published table was built with window_days=%s, include_current_day=%s',
                         s.window_days, s.include_current_day::text)
           WHEN EXISTS (SELECT FROM pg_temp.default_liquidation_rolling_avg_hist_changes WHERE operation = 'TRUNCATE')
             THEN 'loans was truncated'
         END AS full_because
  FROM params p
  LEFT JOIN default_liquidation_rolling_avg_hist_state s ON true
)
-- The window of day D is D - lookback … D - days_skipped (both in days).
SELECT window_days,
       include_current_day,
       CASE WHEN include_current_day THEN 0 ELSE 1 END AS days_skipped,
       window_days + CASE WHEN include_current_day THEN 0 ELSE 1 END - 1 AS lookback,
       CASE WHEN requested = 'incremental' AND full_because IS NULL THEN 'incremental' ELSE 'full' END AS mode,
       full_because
FROM decided;

-- A change to day C reaches the rows of C … C + lookback: the days whose window holds C.
CREATE TEMP TABLE default_liquidation_rolling_avg_hist_scope ON COMMIT DROP AS
WITH plan AS (SELECT mode, lookback FROM pg_temp.default_liquidation_rolling_avg_hist_plan),
reached AS (
  SELECT c.from_date, c.to_date + plan.lookback AS to_date
  FROM pg_temp.default_liquidation_rolling_avg_hist_changes c, plan
  WHERE plan.mode = 'incremental'
  UNION ALL
  SELECT '-infinity', 'infinity' FROM plan WHERE plan.mode = 'full'
),
-- Overlapping or adjacent ranges are merged: a range starts a new one unless it begins at most a
-- day after the end of every range before it.
starts AS (
  SELECT from_date, to_date,
         CASE WHEN from_date <= max(to_date) OVER (ORDER BY from_date, to_date
                                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + 1
              THEN 0 ELSE 1 END AS starts_range
  FROM reached
),
numbered AS (
  SELECT from_date, to_date, sum(starts_range) OVER (ORDER BY from_date, to_date) AS range_number
  FROM starts
)
SELECT min(from_date) AS from_date, max(to_date) AS to_date
FROM numbered
GROUP BY range_number;

-- No JIT compilation for an incremental refresh. The planner's estimates for build.sql's view (in
-- publish.sql's MERGE) and for audit.sql count the branch of the full rebuild too (which only the
-- run decides not to take),
-- so the plan of a refresh of a few days looked as costly as a full one, and where PostgreSQL is
-- built with LLVM (Debian's is; the embedded server is not) the refresh spent ~0.5 s compiling
-- code for seven rows.
SELECT set_config('jit', 'off', true) FROM pg_temp.default_liquidation_rolling_avg_hist_plan WHERE mode = 'incremental';

-- The next statements join on these tables: with their real sizes the planner reads loans and the
-- published table by index ranges instead of scanning them.
ANALYZE pg_temp.default_liquidation_rolling_avg_hist_plan;
ANALYZE pg_temp.default_liquidation_rolling_avg_hist_changes;
ANALYZE pg_temp.default_liquidation_rolling_avg_hist_scope;

SELECT mode, full_because FROM pg_temp.default_liquidation_rolling_avg_hist_plan;
