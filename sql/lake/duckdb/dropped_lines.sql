-- The lines of an ingest dropped as repeats of an id (drop_repeats.sql, drop_known.sql).
SELECT count(*) AS n FROM dropped;
