-- Ingests and compactions that write the same partitions take turns, until their transaction
-- ends: each reads the partition's event ids (or files) and commits its own in between. The
-- partitions ($1, type/date/hour keys) map onto 64 locks, so that one transaction never holds
-- more than 64, however many partitions it writes; two writers of different partitions that
-- share a lock only wait for each other. Taken in order, so two writers cannot deadlock.
SELECT pg_advisory_xact_lock(hashtext('lake partitions'), bucket)
FROM (SELECT DISTINCT abs(hashtext(key) % 64) AS bucket FROM unnest($1::text[]) AS key) AS buckets
ORDER BY bucket;
