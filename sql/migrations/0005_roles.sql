-- Least privilege (README "Security"): three group roles, given to the login users of the
-- loader, the scheduler and the people browsing in Adminer.
--   loans_loader:    writes loans and the loader's own tables (loads, load_rejects)
--   loans_scheduler: reads loans, writes only what it builds and its run history
--   loans_reader:    reads every table, writes none
-- The roles are created when the migrating user may create roles (the Compose owner, the
-- embedded server's postgres); elsewhere an administrator creates them first, and the grants
-- below apply to whichever exist. Roles are shared by every database of a server, so creating
-- one that appeared meanwhile (another database migrating) is not an error.
DO $$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['loans_loader', 'loans_scheduler', 'loans_reader'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name)
       AND (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;

  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_loader') THEN
    GRANT USAGE ON SCHEMA public TO loans_loader;
    GRANT SELECT ON schema_migrations TO loans_loader;
    GRANT SELECT, INSERT, UPDATE ON loans, loads TO loans_loader;
    GRANT SELECT, INSERT ON load_rejects TO loans_loader;
    GRANT USAGE ON SEQUENCE loads_load_id_seq TO loans_loader;
  END IF;

  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_scheduler') THEN
    GRANT USAGE ON SCHEMA public TO loans_scheduler;
    GRANT SELECT ON schema_migrations, loans TO loans_scheduler;
    GRANT SELECT, INSERT, DELETE ON default_liquidation_rolling_avg_hist TO loans_scheduler;
    GRANT SELECT, INSERT, UPDATE ON job_runs TO loans_scheduler;
    GRANT SELECT, INSERT ON task_runs TO loans_scheduler;
  END IF;

  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_reader') THEN
    GRANT USAGE ON SCHEMA public TO loans_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO loans_reader;
    -- Tables that later migrations create are readable too.
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO loans_reader;
  END IF;
END
$$;
