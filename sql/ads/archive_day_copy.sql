-- Every row of ads shown on the day job.shown_date (UTC), each as one line of JSON with every
-- column, locked (FOR UPDATE) as it is read: until the archive commits, no one changes or deletes
-- a row it archived, while rows inserted meanwhile are neither locked nor seen. Run after
-- archive_day_plan.sql, in its transaction; COPY takes no bound parameters, hence the setting.
COPY (
  SELECT to_json(a)
  FROM ads a
  WHERE a.shown_at >= current_setting('job.shown_date')::date::timestamp AT TIME ZONE 'UTC'
    AND a.shown_at < (current_setting('job.shown_date')::date + 1)::timestamp AT TIME ZONE 'UTC'
  FOR UPDATE
) TO STDOUT;
