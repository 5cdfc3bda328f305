-- A load into an empty loans (the first load, or after a TRUNCATE) copies its rows straight into
-- loans; the statement trigger that logs inserts into loans_changes (0006) then keeps every one of
-- them in a transition table only to take their first and last day, which made such a load a
-- quarter slower than a plain COPY (bench/RESULTS.md, item 1). For that load only, the loader
-- switches the trigger off inside its own transaction and logs the range itself, from loans,
-- which holds exactly what it copied. Nobody else can write loans meanwhile: the loader holds
-- loans in SHARE ROW EXCLUSIVE mode from start to end (sql/loader/lock_loans.sql), and the
-- switched-off trigger is never seen by another transaction, since it is switched on again
-- before commit.

-- One row per such load. Its deferred check makes a transaction that switched the trigger off
-- and did not switch it on again fail at COMMIT instead of committing a loans whose inserts
-- would no longer be logged.
CREATE TABLE loans_bulk_loads (
  load_id  bigint      PRIMARY KEY,
  began_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION begin_bulk_load_into_empty_loans(load_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (
    SELECT FROM pg_locks
    WHERE locktype = 'relation' AND relation = 'loans'::regclass AND pid = pg_backend_pid() AND granted
      AND mode IN ('ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
  ) THEN
    RAISE EXCEPTION 'begin_bulk_load_into_empty_loans: lock loans in SHARE ROW EXCLUSIVE mode first (sql/loader/lock_loans.sql)';
  END IF;
  IF EXISTS (SELECT FROM loans) THEN
    RAISE EXCEPTION 'begin_bulk_load_into_empty_loans: loans is not empty';
  END IF;
  INSERT INTO loans_bulk_loads (load_id) VALUES (begin_bulk_load_into_empty_loans.load_id);
  ALTER TABLE loans DISABLE TRIGGER loans_log_insert;
END
$$;

CREATE FUNCTION end_bulk_load_into_empty_loans() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  ALTER TABLE loans ENABLE TRIGGER loans_log_insert;
  -- loans was empty when the load began and nobody else could write it since: its first and last
  -- day are those of the rows the load copied (two reads of the primary key).
  INSERT INTO loans_changes (operation, from_date, to_date)
  SELECT 'INSERT', min(repayment_date), max(repayment_date) FROM loans HAVING count(*) > 0;
END
$$;

CREATE FUNCTION check_loans_insert_logging() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF (SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'loans'::regclass AND tgname = 'loans_log_insert') <> 'O' THEN
    RAISE EXCEPTION 'load % switched off the logging of inserts into loans and did not switch it on again: end_bulk_load_into_empty_loans() must run before COMMIT',
      NEW.load_id;
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER loans_bulk_loads_ended AFTER INSERT ON loans_bulk_loads
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_loans_insert_logging();

REVOKE ALL ON FUNCTION begin_bulk_load_into_empty_loans(bigint), end_bulk_load_into_empty_loans() FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_loader') THEN
    GRANT EXECUTE ON FUNCTION begin_bulk_load_into_empty_loans(bigint), end_bulk_load_into_empty_loans() TO loans_loader;
  END IF;
END
$$;
