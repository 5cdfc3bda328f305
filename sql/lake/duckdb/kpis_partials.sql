-- The event KPIs of one day (lake/kpis.ts), built an hour of files at a time: per type and
-- attributes.user_id (NULL for the events without one), the events and their first and last
-- created_at. Grouping by user first keeps every step an ordinary GROUP BY, which DuckDB spills
-- to disk past its memory limit, where a count(DISTINCT …) over a day may not.
CREATE TABLE kpi_partials (
  type           VARCHAR,
  user_id        VARCHAR,
  events         BIGINT,
  first_event_at TIMESTAMPTZ,
  last_event_at  TIMESTAMPTZ
);
