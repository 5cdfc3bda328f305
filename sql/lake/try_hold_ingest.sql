-- The lock a running ingest holds for its whole life (hold_ingest.sql), if it is free: when it
-- is, no session runs that ingest any more. Released at once with release_ingest.sql.
SELECT pg_try_advisory_lock(hashtext('lake ingest'), ($1::bigint % 2147483647)::int) AS free;
