-- The flushes of the last $1 seconds, for npm run events -- status.
SELECT count(*)                                              AS flushes,
       count(*) FILTER (WHERE status = 'failed')             AS failed,
       coalesce(sum(messages), 0)                            AS messages,
       coalesce(sum(events), 0)                              AS events,
       coalesce(sum(quarantined), 0)                         AS quarantined,
       coalesce(sum(delete_failures), 0)                     AS delete_failures,
       max(committed_at)                                     AS last_committed_at,
       max(extract(epoch FROM committed_at - oldest_sent_at)) AS max_lag_s
FROM stream_flushes
WHERE started_at > now() - make_interval(secs => $1);
