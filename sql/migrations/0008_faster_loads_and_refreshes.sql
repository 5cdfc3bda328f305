-- What the loader and the rolling-average refresh needed once they were measured (bench/RESULTS.md).

-- loans.load_id stays the load that last wrote each row, but without a foreign key: PostgreSQL
-- checks a foreign key row by row, which more than doubled the time of a bulk load. The loader
-- writes it in the same transaction as the loads row, and nothing deletes loads rows.
ALTER TABLE loans DROP CONSTRAINT loans_load_id_fkey;
COMMENT ON COLUMN loans.load_id IS
  'loads.load_id of the load that last wrote the row (not enforced by a foreign key: see migration 0008)';

-- Size of the file read, in bytes: only a file of the size of the last load's is hashed to check
-- whether it is unchanged.
ALTER TABLE loads ADD COLUMN file_bytes bigint;

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_scheduler') THEN
    -- A refresh writes only the rows that changed: it updates them in place.
    GRANT UPDATE ON default_liquidation_rolling_avg_hist TO loans_scheduler;
  END IF;
END
$$;
