-- Loads of loans.csv and what they left behind. Written by the loader only.

-- One row per run of the loader, whether it succeeded or failed.
CREATE TABLE loads (
  load_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file           text        NOT NULL,
  sha256         text,
  status         text        NOT NULL CHECK (status IN ('succeeded', 'failed')),
  strict         boolean     NOT NULL,
  -- The "(as of YYYY-MM-DD)" dates found in the header, by column: {"defaults": "2023-05-09", ...}
  as_of          jsonb       NOT NULL DEFAULT '{}',
  rows_read      integer,
  rows_loaded    integer,
  rows_rejected  integer,
  lines_blank    integer,
  rows_inserted  integer,
  rows_updated   integer,
  rows_unchanged integer,
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  error          text
);

-- One row per day of repayment. The CHECKs repeat what the loader validates, so that rows
-- written by hand obey the same rules.
CREATE TABLE loans (
  repayment_date  date        PRIMARY KEY,
  number_of_loans integer     NOT NULL CHECK (number_of_loans >= 0),
  defaults        integer     NOT NULL CHECK (defaults >= 0),
  liquidations    integer     NOT NULL CHECK (liquidations >= 0),
  load_id         bigint      REFERENCES loads (load_id),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT loans_resolved_within_loans CHECK (defaults::bigint + liquidations <= number_of_loans)
);

-- Every line of a file that was not loaded, with the reason.
CREATE TABLE load_rejects (
  load_id     bigint  NOT NULL REFERENCES loads (load_id) ON DELETE CASCADE,
  line_number integer NOT NULL,
  raw_line    text    NOT NULL,
  reason      text    NOT NULL,
  PRIMARY KEY (load_id, line_number)
);
