-- Quarantined lines by reason in the lake's ingests of the last 7 days (the Lake page), from the
-- newest 10,000 ingests at most (lake_ingests' primary key, backwards).
SELECT q.reason, sum(q.lines::bigint)::bigint AS lines, count(*)::int AS ingests
FROM (SELECT quarantine_reasons
      FROM lake_ingests
      WHERE status = 'succeeded' AND started_at > now() - interval '7 days'
      ORDER BY ingest_id DESC
      LIMIT 10000) AS i
CROSS JOIN LATERAL jsonb_each_text(i.quarantine_reasons) AS q (reason, lines)
GROUP BY q.reason
ORDER BY lines DESC, q.reason;
