-- The working tables of one ingest (lake/ingest.ts), in the ingest's own DuckDB database.

-- Lines that passed the checks of lake/validateEvent.ts, as JSON.parse read them, a batch at a
-- time: Node fills one table while DuckDB stages the other (stage_lines.sql). Numbers are DOUBLE
-- because Node appends them without a BigInt each; both are integers far below 2^53.
CREATE TABLE raw_lines_0 (line DOUBLE, id VARCHAR, type VARCHAR, created_ms DOUBLE, raw VARCHAR);
CREATE TABLE raw_lines_1 (line DOUBLE, id VARCHAR, type VARCHAR, created_ms DOUBLE, raw VARCHAR);

-- The events to write, with their partition: type, date (YYYY-MM-DD) and hour (HH) of created_at in UTC.
CREATE TABLE staged (
  line       BIGINT,
  id         VARCHAR,
  type       VARCHAR,
  created_at TIMESTAMPTZ,
  date       VARCHAR,
  hour       VARCHAR,
  attributes VARCHAR,
  meta       VARCHAR,
  -- type/date/hour: what write_events.sql selects ranges of.
  key        VARCHAR,
  -- The line's bytes when two JSON readers disagree on it (stage_lines.sql); NULL otherwise.
  conflict   VARCHAR
);

-- Lines that broke a rule, with their exact bytes.
CREATE TABLE quarantined (line BIGINT, reason VARCHAR, detail VARCHAR, raw BLOB);
