-- The partitions a compaction would leave with fewer files (lake/compact.ts,
-- docs/lake-maintenance.md, "Compaction"): two or more live events files under the target size
-- ($1 bytes) of which the two smallest fit in one file together. Packing a partition's files
-- under the target first-fit decreasing merges at least those two, so every partition listed here
-- gets fewer files, and one it leaves behind is not listed again. $2 type, $3 date, $4 hour:
-- only those (NULL: any). The most fragmented first, at most $5.
WITH small AS (
  SELECT event_type, event_date, event_hour, bytes,
         row_number() OVER (PARTITION BY event_type, event_date, event_hour ORDER BY bytes, file_id) AS by_size
  FROM lake_files
  WHERE content = 'events' AND removed_at IS NULL AND bytes < $1
    AND ($2::text IS NULL OR event_type = $2)
    AND ($3::date IS NULL OR event_date = $3)
    AND ($4::smallint IS NULL OR event_hour = $4)
)
SELECT event_type, event_date, event_hour, count(*) AS files, sum(bytes) AS bytes
FROM small
GROUP BY event_type, event_date, event_hour
HAVING count(*) >= 2 AND sum(bytes) FILTER (WHERE by_size <= 2) <= $1
ORDER BY count(*) DESC, event_date, event_hour, event_type
LIMIT $5;
