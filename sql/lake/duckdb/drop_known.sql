-- Each event once in the lake: the events whose data.id is already in a file of the partitions
-- this ingest writes ({{files}}, from the catalog) are dropped too.
INSERT INTO dropped
SELECT line FROM good_ids
WHERE id IN (SELECT id FROM read_parquet({{files}}))
  AND line NOT IN (SELECT line FROM dropped);
