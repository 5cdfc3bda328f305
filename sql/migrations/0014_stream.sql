-- Events over a queue (docs/stream.md): one row per flush of a consumer's buffer into the lake.
-- The lake's own record of what a flush wrote is its ingest (lake_ingests); this adds what only
-- the consumer knows: the messages, how late they were, and whether their deletes went through.
CREATE TABLE stream_flushes (
  flush_id         bigserial   PRIMARY KEY,
  -- host-pid of the consumer process, and the queue it reads.
  consumer         text        NOT NULL,
  queue            text        NOT NULL,
  -- The lake ingest that took the flush; NULL when it failed before one started.
  ingest_id        bigint      REFERENCES lake_ingests,
  -- succeeded: in the lake, then deleted from the queue; skipped: the same bytes were in the lake
  -- already (a redelivery of a whole flush); failed: not deleted, the messages come back.
  status           text        NOT NULL CHECK (status IN ('succeeded', 'skipped', 'failed')),
  messages         integer     NOT NULL CHECK (messages > 0),
  -- The bodies' UTF-8 bytes.
  message_bytes    bigint      NOT NULL CHECK (message_bytes >= 0),
  events           integer     NOT NULL DEFAULT 0,
  quarantined      integer     NOT NULL DEFAULT 0,
  duplicates       integer     NOT NULL DEFAULT 0,
  files            integer     NOT NULL DEFAULT 0,
  lake_bytes       bigint      NOT NULL DEFAULT 0,
  -- When the first of its messages was sent, and when the flush began and committed: the
  -- queue's lag is committed_at - oldest_sent_at.
  oldest_sent_at   timestamptz NOT NULL,
  started_at       timestamptz NOT NULL,
  committed_at     timestamptz,
  -- Messages whose delete failed even after retries: they come back and are dropped as repeats.
  delete_failures  integer     NOT NULL DEFAULT 0,
  error            text,
  CHECK ((status = 'failed') = (committed_at IS NULL))
);

CREATE INDEX stream_flushes_started ON stream_flushes (started_at);

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_scheduler') THEN
    GRANT SELECT, INSERT ON stream_flushes TO loans_scheduler;
    GRANT USAGE ON SEQUENCE stream_flushes_flush_id_seq TO loans_scheduler;
  END IF;
END
$$;
