-- Once every batch is staged: the lines whose readers disagree (stage_lines.sql) go to the
-- quarantine with their exact bytes.
INSERT INTO quarantined
SELECT line, 'duplicate_key',
       'the line repeats a key of the event, so readers disagree on its data.id, data.type or meta.created_at',
       encode(conflict)
FROM staged
WHERE conflict IS NOT NULL;

DELETE FROM staged WHERE conflict IS NOT NULL;
