-- The ingests of a lake comparison's catalog, in order, with the events and files each wrote.
SELECT i.ingest_id::float8 AS ingest_id, i.status, i.lines_read::float8 AS lines_read,
       i.events_written::float8 AS events_written, i.quarantined::float8 AS quarantined,
       i.duplicates::float8 AS duplicates, i.blank_lines::float8 AS blank_lines, i.quarantine_reasons,
       (SELECT coalesce(sum(f.rows), 0)::float8 FROM lake_files f
        WHERE f.ingest_id = i.ingest_id AND f.content = 'events') AS events_in_files,
       (SELECT count(*)::float8 FROM lake_files f WHERE f.ingest_id = i.ingest_id) AS files,
       (SELECT coalesce(sum(f.bytes), 0)::float8 FROM lake_files f WHERE f.ingest_id = i.ingest_id) AS bytes
FROM lake_ingests i
ORDER BY i.ingest_id;
