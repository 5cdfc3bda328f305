-- An ingest's quarantined lines by reason.
SELECT reason, count(*) AS n FROM quarantined GROUP BY reason ORDER BY reason;
