-- Of these lake paths ($1, from a listing), those no lake_files row names, live or replaced:
-- files an ingest or compaction moved into the lake but never committed.
SELECT p.path
FROM unnest($1::text[]) AS p (path)
WHERE NOT EXISTS (SELECT FROM lake_files f WHERE f.path = p.path)
ORDER BY p.path;
