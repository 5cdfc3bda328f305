-- The rejected lines of one load, in file order (the Loads page). $1: the load whose rejects they
-- are (an unchanged load's are under the load that read the file: loads.unchanged_since_load_id),
-- $2: how many.
SELECT load_id, line_number, raw_line, reason
FROM load_rejects
WHERE load_id = $1
ORDER BY line_number
LIMIT $2;
