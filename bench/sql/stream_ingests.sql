-- Each succeeded ingest of a stream comparison's catalog (item 11), in epoch milliseconds: its
-- finished_at (now() of its transaction, so the transaction's start), and the committed_at the
-- consumer recorded for the flush it took (after COMMIT returned; NULL if the flush was not recorded).
SELECT i.ingest_id::float8 AS ingest_id,
       (extract(epoch FROM i.finished_at) * 1000)::float8 AS finished_at_ms,
       (extract(epoch FROM f.committed_at) * 1000)::float8 AS committed_at_ms
FROM lake_ingests i
LEFT JOIN stream_flushes f ON f.ingest_id = i.ingest_id AND f.status = 'succeeded'
WHERE i.status = 'succeeded'
ORDER BY i.ingest_id;
