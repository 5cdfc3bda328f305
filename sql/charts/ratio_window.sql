-- The rolling window the published default_liquidation_rolling_avg_hist was built with, as its last
-- refresh recorded it (record.sql of the workflow); no row before the first refresh.
SELECT window_days, include_current_day, refreshed_at
FROM default_liquidation_rolling_avg_hist_state;
