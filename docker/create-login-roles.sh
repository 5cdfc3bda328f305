#!/bin/sh
# Run once by the postgres image when it creates the database (/docker-entrypoint-initdb.d):
# the login users of the loader, the scheduler and of people browsing in Adminer, each in its
# least-privilege group role. The group roles get their grants from migration 0005_roles.sql.
# Safe to run again: nothing that exists is created twice.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v loader_password="${LOADER_PASSWORD:-loader}" \
  -v scheduler_password="${SCHEDULER_PASSWORD:-scheduler}" \
  -v reader_password="${READER_PASSWORD:-reader}" <<'SQL'
SELECT format('CREATE ROLE %I NOLOGIN', name)
FROM unnest(ARRAY['loans_loader', 'loans_scheduler', 'loans_reader']) AS name
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name)
\gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', login, password, member_of)
FROM (VALUES ('loader', :'loader_password', 'loans_loader'),
             ('scheduler', :'scheduler_password', 'loans_scheduler'),
             ('reader', :'reader_password', 'loans_reader')) AS users (login, password, member_of)
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = login)
\gexec
SQL
