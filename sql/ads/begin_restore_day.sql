-- The rows of the archives being restored, one JSON document each, until restore_rows.sql turns
-- them into rows of ads; gone with the transaction.
CREATE TEMPORARY TABLE ads_restored (line jsonb NOT NULL) ON COMMIT DROP;
