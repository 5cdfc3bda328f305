-- Each event once within an ingest: of the lines with the same data.id, the first is kept.
DELETE FROM staged
WHERE line IN (
  SELECT s.line
  FROM staged s
  JOIN (SELECT id, min(line) AS first FROM staged GROUP BY id HAVING count(*) > 1) d USING (id)
  WHERE s.line <> d.first
);
