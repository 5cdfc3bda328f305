-- The live quarantine files of a lake comparison's catalog, relative to the lake's folder.
SELECT path FROM lake_files WHERE content = 'quarantine' AND removed_at IS NULL ORDER BY path;
