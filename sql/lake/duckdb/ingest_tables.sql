-- The working tables of one ingest (lake/ingest.ts), in the ingest's own DuckDB database.

-- The files of good lines that the checks write (lake/checkLines.ts): one line per event,
-- fields separated by \x1f, which no line that passed JSON.parse contains; bucket files hold
-- the line's number and the line, ids files its number and data.id.
CREATE MACRO checked_lines(files) AS TABLE
  SELECT * FROM read_csv(files, delim = chr(31), quote = '', escape = '', header = false, new_line = '\n',
                         auto_detect = false, max_line_size = 4194304, columns = {'line': 'BIGINT', 'raw': 'VARCHAR'});
CREATE MACRO checked_ids(files) AS TABLE
  SELECT * FROM read_csv(files, delim = chr(31), quote = '', escape = '', header = false, new_line = '\n',
                         auto_detect = false, columns = {'line': 'BIGINT', 'id': 'VARCHAR'});

-- The lines that the checks hand back to be staged one by one (a '\r', a backslash, a key of the
-- event twice), as JSON.parse read them, a batch at a time: Node fills one table while DuckDB
-- stages the other (stage_lines.sql). Numbers are DOUBLE because Node appends them without a
-- BigInt each; both are integers far below 2^53.
CREATE TABLE raw_lines_0 (line DOUBLE, id VARCHAR, type VARCHAR, created_ms DOUBLE, bucket INTEGER, raw VARCHAR);
CREATE TABLE raw_lines_1 (line DOUBLE, id VARCHAR, type VARCHAR, created_ms DOUBLE, bucket INTEGER, raw VARCHAR);

-- Those lines as events, with their partition: type, date (YYYY-MM-DD) and hour (HH) of
-- created_at in UTC, and the partition's bucket (lake/checkLines.ts, bucketOf).
CREATE TABLE staged (
  line       BIGINT,
  id         VARCHAR,
  type       VARCHAR,
  created_at TIMESTAMPTZ,
  date       VARCHAR,
  hour       VARCHAR,
  attributes VARCHAR,
  meta       VARCHAR,
  bucket     INTEGER,
  -- The line's bytes when two JSON readers disagree on it (stage_lines.sql); NULL otherwise.
  conflict   VARCHAR
);

-- Lines that broke a rule, with their exact bytes.
CREATE TABLE quarantined (line BIGINT, reason VARCHAR, detail VARCHAR, raw BLOB);

-- One file per partition per COPY of write_events.sql: past this many open at once DuckDB closes
-- some and starts more files of the same partitions (lake/ingest.ts keeps a group below it).
SET GLOBAL partitioned_write_max_open_files = 1024;
