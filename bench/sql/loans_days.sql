-- How many days loans holds.
SELECT count(*)::int AS days FROM loans;
