-- What changed in loans, as the range of days each statement touched. Written by triggers, so
-- every writer is covered: the loader, a fix made by hand in psql or Adminer, a DELETE, a TRUNCATE.
-- Two readers:
--   * the incremental refresh of default_liquidation_rolling_avg_hist recomputes only the days
--     whose window covers a logged range, and deletes the entries it has consumed;
--   * the loader recognises an unchanged file over an unchanged table: the last value of
--     loans_changes_change_id_seq moves with every write to loans, so if it still has the value
--     a load recorded (loads.loans_version), loans is exactly as that load left it.
-- One row per statement (not per row): a load of two million days costs one row here.
CREATE TABLE loans_changes (
  change_id  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operation  text        NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
  -- First and last repayment_date the statement wrote or removed (old and new dates of an UPDATE);
  -- -infinity and infinity for a TRUNCATE.
  from_date  date        NOT NULL,
  to_date    date        NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  CHECK (from_date <= to_date)
);

-- SECURITY DEFINER: whoever writes loans logs the change, without a grant on loans_changes.
CREATE FUNCTION log_loans_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO loans_changes (operation, from_date, to_date) VALUES (TG_OP, '-infinity', 'infinity');
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO loans_changes (operation, from_date, to_date)
    SELECT TG_OP, min(repayment_date), max(repayment_date) FROM new_rows HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO loans_changes (operation, from_date, to_date)
    SELECT TG_OP, min(repayment_date), max(repayment_date) FROM old_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO loans_changes (operation, from_date, to_date)
    SELECT TG_OP, min(repayment_date), max(repayment_date)
    FROM (SELECT repayment_date FROM old_rows UNION ALL SELECT repayment_date FROM new_rows) AS touched
    HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER loans_log_insert AFTER INSERT ON loans
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION log_loans_change();
CREATE TRIGGER loans_log_update AFTER UPDATE ON loans
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION log_loans_change();
CREATE TRIGGER loans_log_delete AFTER DELETE ON loans
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION log_loans_change();
CREATE TRIGGER loans_log_truncate AFTER TRUNCATE ON loans
  FOR EACH STATEMENT EXECUTE FUNCTION log_loans_change();

-- The value of loans_changes_change_id_seq when the load committed its changes (see above).
ALTER TABLE loads ADD COLUMN loans_version bigint;
-- Which rules of the loader read the file: an unchanged file is only skipped under the same rules.
ALTER TABLE loads ADD COLUMN loader_version text;
-- Set when the file and loans were found unchanged since that load: nothing was read or written,
-- its counts and rejects were carried over.
ALTER TABLE loads ADD COLUMN unchanged_since_load_id bigint REFERENCES loads (load_id);

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_loader') THEN
    GRANT SELECT ON SEQUENCE loans_changes_change_id_seq TO loans_loader;
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_scheduler') THEN
    GRANT SELECT, DELETE ON loans_changes TO loans_scheduler;
  END IF;
END
$$;
