-- A reload of an unchanged file over an unchanged loans: the new load ($1) gets the rejects of
-- the load that last read the file ($2), as reading it again would have produced them.
INSERT INTO load_rejects (load_id, line_number, raw_line, reason)
SELECT $1, line_number, raw_line, reason
FROM load_rejects
WHERE load_id = $2;
