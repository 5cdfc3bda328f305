-- The events of the files in the view events (one hour of the day $1) into kpi_partials.
INSERT INTO kpi_partials
SELECT type, json_extract_string(attributes, '$.user_id') AS user_id, count(*), min(created_at), max(created_at)
FROM events
WHERE date = $1::DATE
GROUP BY ALL;
