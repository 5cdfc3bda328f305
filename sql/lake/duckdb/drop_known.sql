-- Each event once in the lake: the events whose data.id is already in a file of the partitions
-- this ingest writes ({{files}}, from the catalog) are not written again.
DELETE FROM staged
WHERE id IN (SELECT id FROM read_parquet({{files}}));
