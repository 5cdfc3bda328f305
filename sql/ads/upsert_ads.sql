-- The impressions of one stored response into ads, by ad_id (docs/ads.md, "Guarantees"). A row
-- that already holds the response's values is not touched, its backup_key and loaded_at
-- included, so loading the same response twice changes nothing; a row whose values differ
-- takes the response's, which is how a replay repairs ads.
-- $1 backup_key, $2 a JSON array of {ad_id, ad_group, ad_campaign, shown_at, ad_scheme}
INSERT INTO ads AS a (ad_id, ad_group, ad_campaign, shown_at, ad_scheme, backup_key)
SELECT i.ad_id, i.ad_group, i.ad_campaign, i.shown_at, i.ad_scheme, $1
FROM jsonb_to_recordset($2::jsonb)
  AS i (ad_id uuid, ad_group text, ad_campaign integer, shown_at timestamptz, ad_scheme jsonb)
ON CONFLICT (ad_id) DO UPDATE
SET ad_group = excluded.ad_group,
    ad_campaign = excluded.ad_campaign,
    shown_at = excluded.shown_at,
    ad_scheme = excluded.ad_scheme,
    backup_key = excluded.backup_key,
    loaded_at = now()
WHERE (a.ad_group, a.ad_campaign, a.shown_at, a.ad_scheme)
  IS DISTINCT FROM (excluded.ad_group, excluded.ad_campaign, excluded.shown_at, excluded.ad_scheme);
