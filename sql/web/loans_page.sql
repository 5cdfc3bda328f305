-- One page of the rolling-average table, newest day first (the Loans page). $1, $2: first and
-- last day or NULL, $3: rows per page, $4: rows to skip.
SELECT repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio,
       rolling_avg_7d, created_at, changed_at
FROM default_liquidation_rolling_avg_hist
WHERE repayment_date >= coalesce($1::date, '-infinity') AND repayment_date <= coalesce($2::date, 'infinity')
ORDER BY repayment_date DESC
LIMIT $3 OFFSET $4;
