-- The primary key the published table has, on the CREATE TABLE AS reference: the size of a fresh
-- table with the same index, to show beside the bare one.
ALTER TABLE bench_rolling_avg_reference ADD PRIMARY KEY (repayment_date);
