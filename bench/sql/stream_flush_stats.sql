-- The consumer's flushes in a stream comparison (item 11), from its own record (stream_flushes):
-- how many, how large, how long from the flush's start to its commit, and the queue's lag
-- (committed_at - oldest_sent_at). Durations in milliseconds.
SELECT count(*)::float8 AS flushes,
       count(*) FILTER (WHERE status = 'failed')::float8 AS failed,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY messages) FILTER (WHERE status <> 'failed')::float8 AS messages_median,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM committed_at - started_at) * 1000)
         FILTER (WHERE status <> 'failed')::float8 AS duration_median_ms,
       percentile_disc(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM committed_at - started_at) * 1000)
         FILTER (WHERE status <> 'failed')::float8 AS duration_p99_ms,
       (max(extract(epoch FROM committed_at - started_at)) * 1000)::float8 AS duration_max_ms,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM committed_at - oldest_sent_at) * 1000)
         FILTER (WHERE status <> 'failed')::float8 AS lag_median_ms,
       (max(extract(epoch FROM committed_at - oldest_sent_at)) * 1000)::float8 AS lag_max_ms
FROM stream_flushes;
