-- The partitions an ingest writes, with their events, in the order of their key (type/date/hour),
-- which write_events.sql selects ranges of; {{table}} is staged, or sorted once sort_staged.sql ran.
SELECT type, date, hour, key, count(*) AS events
FROM {{table}}
GROUP BY ALL
ORDER BY key;
