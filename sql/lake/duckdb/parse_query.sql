-- The query command's statement ($1) as DuckDB's parser sees it, as JSON (lake/queryPlan.ts walks it);
-- a statement it cannot parse gives {"error": true, "error_message": …} instead.
SELECT json_serialize_sql($1::VARCHAR) AS ast;
