-- The live events files of some partitions ($1 types, $2 dates, $3 hours, side by side).
SELECT f.path
FROM lake_files f
JOIN unnest($1::text[], $2::date[], $3::smallint[]) AS p (event_type, event_date, event_hour)
  USING (event_type, event_date, event_hour)
WHERE f.content = 'events' AND f.removed_at IS NULL
ORDER BY f.path;
