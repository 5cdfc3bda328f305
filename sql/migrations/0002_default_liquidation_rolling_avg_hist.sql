-- The table the scheduler rebuilds every minute (sql/jobs/default_liquidation_rolling_avg_hist/).
CREATE TABLE default_liquidation_rolling_avg_hist (
  repayment_date               date        PRIMARY KEY,
  number_of_loans              integer     NOT NULL,
  defaults                     integer     NOT NULL,
  liquidations                 integer     NOT NULL,
  -- liquidations / defaults; NULL when defaults = 0.
  liquidation_to_default_ratio numeric     CHECK (liquidation_to_default_ratio >= 0),
  -- Mean of the non-NULL ratios in the calendar window ending on repayment_date; NULL when none.
  rolling_avg_7d               numeric     CHECK (rolling_avg_7d >= 0),
  -- When the rebuild that wrote this row ran; the same on every row of one rebuild.
  created_at                   timestamptz NOT NULL
);
