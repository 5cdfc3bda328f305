-- The last successful load of one file, for --if-changed: the file is loaded again only when its
-- size or sha256 differ from that load's. Loads of other files since do not count, so that a
-- restart of npm start (or docker compose up) never reverts what a later load of another file
-- wrote. $1 the file as loads.file records it (relative to the project folder when inside it).
SELECT load_id, sha256, file_bytes
FROM loads
WHERE status = 'succeeded' AND file = $1
ORDER BY load_id DESC
LIMIT 1;
