-- The last archive ads_archive recorded: its rows and the bytes of its object.
SELECT rows::float8 AS rows, bytes::float8 AS bytes FROM ad_archives ORDER BY archived_at DESC LIMIT 1;
