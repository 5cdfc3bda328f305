-- The working tables of one ingest (lake/ingest.ts), in the ingest's own DuckDB database.

-- Lines that passed the checks of lake/validateEvent.ts, a batch at a time, as JSON.parse read them.
CREATE TABLE raw_lines (line BIGINT, id VARCHAR, type VARCHAR, created_ms DOUBLE, raw VARCHAR);

-- The events to write, with their partition: type, date (YYYY-MM-DD) and hour (HH) of created_at in UTC.
CREATE TABLE staged (
  line       BIGINT,
  id         VARCHAR,
  type       VARCHAR,
  created_at TIMESTAMPTZ,
  date       VARCHAR,
  hour       VARCHAR,
  attributes VARCHAR,
  meta       VARCHAR
);

-- Lines that broke a rule, with their exact bytes.
CREATE TABLE quarantined (line BIGINT, reason VARCHAR, detail VARCHAR, raw BLOB);
