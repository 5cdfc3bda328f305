-- The KPIs of the day $1, one row per event type: events, distinct attributes.user_id among the
-- events that carry one (0 when none does), first and last created_at. The rows of event_kpis_daily.
WITH users AS (
  SELECT type, user_id, sum(events) AS events, min(first_event_at) AS first_event_at, max(last_event_at) AS last_event_at
  FROM kpi_partials
  GROUP BY type, user_id
)
SELECT $1::DATE AS day,
       type AS event_type,
       sum(events)::BIGINT AS events,
       count(user_id) AS distinct_users,
       min(first_event_at) AS first_event_at,
       max(last_event_at) AS last_event_at
FROM users
GROUP BY type
ORDER BY type;
