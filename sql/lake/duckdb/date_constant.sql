-- The day a string constant of a query's WHERE ($1) stands for when DuckDB compares it with the
-- date partition column (lake/queryPlan.ts), as YYYY-MM-DD; NULL when it is no date.
SELECT TRY_CAST($1::VARCHAR AS DATE)::VARCHAR AS day;
