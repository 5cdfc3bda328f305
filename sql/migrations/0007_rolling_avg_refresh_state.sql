-- What the published default_liquidation_rolling_avg_hist was built with. An incremental refresh
-- recomputes only the days whose window a logged change of loans touched, which is right only if
-- every other row was computed with the same window; so each refresh, full or incremental,
-- writes this row in the transaction that publishes, and an incremental refresh asked for with
-- other parameters (or with no row here yet) rebuilds everything instead.
CREATE TABLE default_liquidation_rolling_avg_hist_state (
  -- One row only.
  singleton           boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  window_days         integer     NOT NULL CHECK (window_days >= 1),
  include_current_day boolean     NOT NULL,
  -- How the last refresh ran: 'full' also when an incremental one was asked for and could not be.
  mode                text        NOT NULL CHECK (mode IN ('full', 'incremental')),
  -- The start of the last refresh's transaction: the created_at of the rows it wrote.
  refreshed_at        timestamptz NOT NULL
);

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_scheduler') THEN
    GRANT SELECT, INSERT, UPDATE ON default_liquidation_rolling_avg_hist_state TO loans_scheduler;
  END IF;
END
$$;
