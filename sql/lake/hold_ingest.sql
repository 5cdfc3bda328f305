-- Held by the session of a running ingest until it ends: lake maintenance takes an ingest whose
-- lock is free but whose status is still running for one that died (see abandon_ingests.sql).
SELECT pg_advisory_lock(hashtext('lake ingest'), ($1::bigint % 2147483647)::int);
