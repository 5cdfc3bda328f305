-- The valid rows of the file being loaded when loans already has rows (merge_loans.sql then
-- upserts them). Lives only inside the load's transaction.
CREATE TEMP TABLE loans_staging (
  repayment_date  date    NOT NULL,
  number_of_loans integer NOT NULL,
  defaults        integer NOT NULL,
  liquidations    integer NOT NULL,
  load_id         bigint  NOT NULL
) ON COMMIT DROP;
