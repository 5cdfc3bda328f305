-- Every run of a scheduled or manual job. A scheduled tick is claimed by inserting its row:
-- the unique (job, scheduled_for) lets one scheduler replica win a tick and the others skip it.
CREATE TABLE job_runs (
  run_id        text        PRIMARY KEY,
  job           text        NOT NULL,
  trigger       text        NOT NULL CHECK (trigger IN ('schedule', 'startup', 'manual')),
  scheduled_for timestamptz,
  params        jsonb       NOT NULL DEFAULT '{}',
  status        text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  rows          integer,
  started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at   timestamptz,
  error         text,
  host          text        NOT NULL,
  pid           integer     NOT NULL,
  UNIQUE (job, scheduled_for)
);

CREATE INDEX job_runs_job_started_at ON job_runs (job, started_at DESC);
