SELECT pg_advisory_unlock(hashtext('lake ingest'), ($1::bigint % 2147483647)::int);
