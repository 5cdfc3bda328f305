-- The events to write in the order of their partition's key: each COPY of write_events.sql then
-- reads only the row groups of its range of partitions (their min/max key), instead of every
-- event of the ingest once per range.
CREATE TABLE sorted AS SELECT * EXCLUDE (conflict) FROM staged ORDER BY key;
DROP TABLE staged;
