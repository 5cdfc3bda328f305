-- One flush of a consumer (stream/consumer.ts), once its messages are in the lake and deleted, or once it failed.
INSERT INTO stream_flushes (
  consumer, queue, ingest_id, status, messages, message_bytes, events, quarantined, duplicates,
  files, lake_bytes, oldest_sent_at, started_at, committed_at, delete_failures, error
)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16);
