DROP TABLE IF EXISTS bench_rolling_avg_reference;
