-- $2 ad impressions shown on the day $1 (UTC), shaped like the API's: random ad_ids, four groups,
-- a campaign or none, times to the microsecond over the day, an ad_scheme on one in five.
INSERT INTO ads (ad_id, ad_group, ad_campaign, shown_at, ad_scheme, backup_key, loaded_at)
SELECT gen_random_uuid(),
       (ARRAY['marketing', 'recruiting', 'brand', 'investment'])[1 + i % 4],
       CASE WHEN i % 10 = 0 THEN NULL ELSE 500 + i % 500 END,
       $1::date::timestamp AT TIME ZONE 'UTC' + (i::float8 / $2) * interval '1 day' + (i % 997) * interval '1 microsecond',
       CASE WHEN i % 5 = 0 THEN jsonb_build_object('origin', CASE WHEN i % 2 = 0 THEN 'manual' ELSE 'automatic' END, 'approved', i % 3 = 0) END,
       'backup/run=' || $1::date || 'T01:00:00Z/response-' || (i / 100) || '.json',
       $1::date + interval '1 day 1 hour'
FROM generate_series(0, $2::integer - 1) AS i;
