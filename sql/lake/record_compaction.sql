-- One compaction of one partition ($1 its id from next_compaction_id.sql), in the transaction
-- that adds its files and marks the files it replaced.
INSERT INTO lake_compactions
  (compaction_id, event_type, event_date, event_hour, run_id, files_in, files_out, rows, bytes_in, bytes_out)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);
