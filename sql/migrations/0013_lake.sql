-- The event lake's catalog (docs/lake.md): the lake's files are Parquet under LAKE_URI, and these
-- tables say which of them exist. Readers plan from lake_files, never from a listing: a file is
-- part of the lake once its row commits, and stops being part of it when removed_at is set.

-- One row per source file ingested (or skipped, or failed). The counts add up:
-- lines_read = events_written + quarantined + duplicates + blank_lines.
CREATE TABLE lake_ingests (
  ingest_id          bigserial   PRIMARY KEY,
  -- The file or s3:// object as given.
  source             text        NOT NULL,
  -- size and mtime of a file, ETag of an object: lake_ingest skips a source it already took at this version without reading it.
  source_version     text,
  -- Of the bytes as stored (compressed, for a .gz).
  source_bytes       bigint      CHECK (source_bytes >= 0),
  source_sha256      text        CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
  -- The workflow run that ingested it; NULL for `npm run lake -- ingest`.
  run_id             text,
  status             text        NOT NULL DEFAULT 'running'
                                 CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
  started_at         timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz,
  lines_read         bigint,
  events_written     bigint,
  quarantined        bigint,
  duplicates         bigint,
  blank_lines        bigint,
  -- {"not_json": 3, …}: quarantined lines by reason.
  quarantine_reasons jsonb,
  -- For a skipped source: the ingest that already took the same bytes.
  same_as            bigint      REFERENCES lake_ingests,
  error              text,
  CHECK (status <> 'succeeded' OR lines_read = events_written + quarantined + duplicates + blank_lines)
);

-- The same bytes are ingested once: a second ingest of them is skipped.
CREATE UNIQUE INDEX lake_ingests_once ON lake_ingests (source_sha256) WHERE status = 'succeeded';
CREATE INDEX lake_ingests_source ON lake_ingests (source, source_version);

-- One row per compaction of one hour of one type.
CREATE TABLE lake_compactions (
  compaction_id bigserial   PRIMARY KEY,
  event_type    text        NOT NULL,
  event_date    date        NOT NULL,
  event_hour    smallint    NOT NULL CHECK (event_hour BETWEEN 0 AND 23),
  run_id        text,
  files_in      integer     NOT NULL CHECK (files_in >= 2),
  files_out     integer     NOT NULL CHECK (files_out >= 1),
  rows          bigint      NOT NULL CHECK (rows >= 0),
  bytes_in      bigint      NOT NULL,
  bytes_out     bigint      NOT NULL,
  compacted_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per Parquet file of the lake, events or quarantine.
CREATE TABLE lake_files (
  file_id        bigserial   PRIMARY KEY,
  -- Relative to LAKE_URI: events/type=<t>/date=<d>/hour=<hh>/<name>.parquet or quarantine/date=<d>/<name>.parquet.
  path           text        NOT NULL UNIQUE,
  content        text        NOT NULL CHECK (content IN ('events', 'quarantine')),
  -- The partition of an events file; quarantine files have only a date (the ingest's).
  event_type     text,
  event_date     date        NOT NULL,
  event_hour     smallint    CHECK (event_hour BETWEEN 0 AND 23),
  rows           bigint      NOT NULL CHECK (rows > 0),
  bytes          bigint      NOT NULL CHECK (bytes > 0),
  -- The first and last created_at of an events file, for pruning a query by time.
  min_created_at timestamptz,
  max_created_at timestamptz,
  -- Who wrote it: an ingest, or a compaction.
  ingest_id      bigint      REFERENCES lake_ingests,
  compaction_id  bigint      REFERENCES lake_compactions,
  added_at       timestamptz NOT NULL DEFAULT now(),
  -- Set when a compaction replaced it: no longer part of the lake; the file itself is deleted by
  -- lake maintenance once no query that planned with it can still be reading it.
  removed_at     timestamptz,
  CHECK ((content = 'events') = (event_type IS NOT NULL AND event_hour IS NOT NULL AND min_created_at IS NOT NULL)),
  CHECK ((ingest_id IS NULL) <> (compaction_id IS NULL))
);

CREATE INDEX lake_files_live ON lake_files (content, event_type, event_date, event_hour) WHERE removed_at IS NULL;
CREATE INDEX lake_files_removed ON lake_files (removed_at) WHERE removed_at IS NOT NULL;

-- event_kpis: per day and type, from the lake.
CREATE TABLE event_kpis_daily (
  day            date        NOT NULL,
  event_type     text        NOT NULL,
  events         bigint      NOT NULL CHECK (events > 0),
  -- Distinct attributes.user_id among the events that carry one (0 when none do).
  distinct_users bigint      NOT NULL CHECK (distinct_users >= 0),
  first_event_at timestamptz NOT NULL,
  last_event_at  timestamptz NOT NULL,
  computed_at    timestamptz NOT NULL DEFAULT now(),
  run_id         text,
  PRIMARY KEY (day, event_type)
);

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_scheduler') THEN
    GRANT SELECT, INSERT, UPDATE ON lake_ingests, lake_compactions TO loans_scheduler;
    GRANT SELECT, INSERT, UPDATE, DELETE ON lake_files, event_kpis_daily TO loans_scheduler;
    GRANT USAGE ON SEQUENCE lake_ingests_ingest_id_seq, lake_compactions_compaction_id_seq,
      lake_files_file_id_seq TO loans_scheduler;
  END IF;
END
$$;
