-- The restored lines back into ads, every column from its JSON field. A row whose ad_id is in ads
-- already (loaded again since it was archived) keeps the version in ads: a restore run twice, or
-- over rows that came back another way, inserts nothing twice.
INSERT INTO ads
SELECT restored.*
FROM ads_restored, jsonb_populate_record(NULL::ads, ads_restored.line) AS restored
ON CONFLICT (ad_id) DO NOTHING;
