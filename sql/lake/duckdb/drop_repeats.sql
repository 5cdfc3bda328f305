-- Each event once within an ingest: of the good lines with the same data.id, the first is kept;
-- the others are the ingest's dropped lines. {{ids}}: the ids files of the checks.
CREATE VIEW good_ids AS
SELECT line, id FROM checked_ids({{ids}})
UNION ALL
SELECT line, id FROM staged;

CREATE TABLE dropped AS
WITH repeated AS (SELECT id, min(line) AS first FROM good_ids GROUP BY id HAVING count(*) > 1)
SELECT line FROM good_ids JOIN repeated USING (id) WHERE line <> first;
