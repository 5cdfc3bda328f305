-- Workflows (scheduler/workflow.ts): one row per task attempt, and backfill runs.

-- Backfills may run a day again (--force): only scheduled ticks stay unique per (job, time).
ALTER TABLE job_runs DROP CONSTRAINT job_runs_job_scheduled_for_key;
CREATE UNIQUE INDEX job_runs_one_run_per_tick ON job_runs (job, scheduled_for) WHERE trigger = 'schedule';

ALTER TABLE job_runs DROP CONSTRAINT job_runs_trigger_check;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_trigger_check
  CHECK (trigger IN ('schedule', 'startup', 'manual', 'backfill'));

-- The day a run is for: its tick's or backfill day's date (UTC), or the day it ran.
ALTER TABLE job_runs ADD COLUMN logical_date date;
UPDATE job_runs SET logical_date = coalesce(scheduled_for, started_at)::date;
ALTER TABLE job_runs ALTER COLUMN logical_date SET NOT NULL;
CREATE INDEX job_runs_job_logical_date ON job_runs (job, logical_date);

CREATE TABLE task_runs (
  run_id      text        NOT NULL REFERENCES job_runs (run_id) ON DELETE CASCADE,
  task        text        NOT NULL,
  -- The fan-out item of this execution, NULL for a task that does not fan out.
  item        text,
  attempt     integer     NOT NULL,
  status      text        NOT NULL CHECK (status IN ('succeeded', 'failed', 'skipped', 'retried')),
  rows        integer,
  started_at  timestamptz NOT NULL,
  duration_ms integer     NOT NULL,
  error       text
);

CREATE INDEX task_runs_run_id ON task_runs (run_id);
