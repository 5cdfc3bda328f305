-- Ingests still 'running' that started more than a minute ago: lake maintenance asks each one's
-- lock whether its session is still there (abandon_ingests.sql). The minute covers the moment
-- between start_ingest.sql and hold_ingest.sql, when a live ingest does not hold its lock yet.
SELECT ingest_id, source, started_at
FROM lake_ingests
WHERE status = 'running' AND started_at < now() - interval '1 minute'
ORDER BY ingest_id;
