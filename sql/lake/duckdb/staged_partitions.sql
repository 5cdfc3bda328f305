-- The partitions an ingest writes, with their events, in the order of their key (type/date/hour),
-- which write_events.sql selects ranges of.
SELECT type, date, hour, key, count(*) AS events
FROM staged
GROUP BY ALL
ORDER BY key;
