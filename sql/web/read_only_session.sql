-- Run on every connection of the dashboard before its first query (web/db.ts; docs/dashboard.md,
-- "Read-only"): no transaction of the connection may write, times are UTC, no statement runs
-- longer than 10 s, and it reads as loans_reader when that role exists and the login may use it
-- (under Compose the `reader` login is one of it; the embedded server's superuser may use any
-- role). The last statement says which role it reads as: loans_reader, or none (the login's own).
SET default_transaction_read_only = on;
SET TimeZone = 'UTC';
SET statement_timeout = '10s';
SELECT coalesce(
         (SELECT set_config('role', rolname, false)
          FROM pg_roles
          WHERE rolname = 'loans_reader' AND pg_has_role(session_user, oid, 'MEMBER')),
         'none') AS role,
       session_user AS login;
