-- Opens the record of a load, inside the load's transaction: it becomes visible only when the
-- load commits, that is when it succeeded. $1 file, $2 strict, $3 started_at
INSERT INTO loads (file, status, strict, started_at)
VALUES ($1, 'succeeded', $2, $3)
RETURNING load_id;
