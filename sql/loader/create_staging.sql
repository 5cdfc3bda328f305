-- Every record of the file being loaded: valid rows with their values, rejected ones with the
-- raw line and the reason. Lives only inside the load's transaction.
CREATE TEMP TABLE loans_staging (
  line_number     integer NOT NULL,
  repayment_date  date,
  number_of_loans integer,
  defaults        integer,
  liquidations    integer,
  raw_line        text,
  reason          text
) ON COMMIT DROP;
