-- The rows of replaced files ($1 file ids) that lake maintenance has deleted: once the file is
-- gone, nothing needs its row (lake_compactions keeps the counts). Never a live file's row.
DELETE FROM lake_files
WHERE file_id = ANY ($1::bigint[]) AND removed_at IS NOT NULL;
