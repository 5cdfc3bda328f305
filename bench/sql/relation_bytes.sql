-- On-disk size of table $1 with its indexes and TOAST (pg_total_relation_size), in bytes.
SELECT pg_total_relation_size($1::regclass)::float8 AS bytes;
