-- A load that failed and was rolled back leaves only this row.
-- $1 file, $2 strict, $3 started_at, $4 error
INSERT INTO loads (file, status, strict, started_at, error)
VALUES ($1, 'failed', $2, $3, $4)
RETURNING load_id;
