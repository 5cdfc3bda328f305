-- The instant a constant of a query's WHERE stands for when DuckDB compares it with created_at
-- (lake/queryPlan.ts): the string $1 cast as written ($2), then to TIMESTAMPTZ in the session's
-- time zone, UTC. In epoch microseconds; NULL when it is no instant (a bad string, infinity).
SELECT epoch_us(CASE $2::VARCHAR
                  WHEN 'DATE' THEN TRY_CAST($1::VARCHAR AS DATE)::TIMESTAMPTZ
                  WHEN 'TIMESTAMP' THEN TRY_CAST($1::VARCHAR AS TIMESTAMP)::TIMESTAMPTZ
                  ELSE TRY_CAST($1::VARCHAR AS TIMESTAMPTZ)
                END) AS us;
