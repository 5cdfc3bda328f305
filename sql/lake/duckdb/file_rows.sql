-- The rows of a Parquet file ({{file}}), from its footer: a compaction checks what it wrote.
SELECT count(*) AS rows FROM read_parquet({{file}});
