-- Appends $1 new days after the last day of loans (a weekly load of new days), some of them
-- without a default. The loans_changes triggers log it like any other write.
INSERT INTO loans (repayment_date, number_of_loans, defaults, liquidations)
SELECT last.day + n, 100, n % 3, n
FROM (SELECT max(repayment_date) AS day FROM loans) AS last,
     generate_series(1, $1::int) AS n;
