-- What the published rolling average was built with (the Loans page).
SELECT window_days, include_current_day, mode, refreshed_at
FROM default_liquidation_rolling_avg_hist_state;
