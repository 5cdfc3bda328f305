-- A day's KPIs ($1 the day, $2 … $6 arrays side by side, one element per event type, $7 the run).
INSERT INTO event_kpis_daily (day, event_type, events, distinct_users, first_event_at, last_event_at, run_id)
SELECT $1::date, k.event_type, k.events, k.distinct_users, k.first_event_at, k.last_event_at, $7::text
FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[], $6::timestamptz[])
  AS k (event_type, events, distinct_users, first_event_at, last_event_at);
