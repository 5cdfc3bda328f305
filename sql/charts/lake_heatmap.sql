-- The lake's heat map (charts/lakeHeatmap.ts): events per type per hour, from the catalog (the rows
-- of its live events files), never from the Parquet files. The $1 hours that end with the newest
-- hour the catalog holds, and the $2 types with the most events in them; oldest hour first.
-- By hand: replace $1 with 48 and $2 with 30.
WITH live AS (
  SELECT event_type, (event_date + make_interval(hours => event_hour))::timestamp AS hour, rows
  FROM lake_files
  WHERE content = 'events' AND removed_at IS NULL
), recent AS (
  SELECT event_type, hour, rows
  FROM live
  WHERE hour > (SELECT max(hour) FROM live) - make_interval(hours => $1::int)
), top_types AS (
  SELECT event_type
  FROM recent
  GROUP BY event_type
  ORDER BY sum(rows) DESC, event_type
  LIMIT $2
)
SELECT r.event_type AS type,
       to_char(r.hour, 'YYYY-MM-DD"T"HH24":00:00Z"') AS hour,
       sum(r.rows)::float8 AS events
FROM recent r
JOIN top_types t USING (event_type)
GROUP BY r.event_type, r.hour
ORDER BY r.hour, r.event_type;
