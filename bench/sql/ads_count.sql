-- Impressions in ads: all of the benchmark's day, or none once it is archived.
SELECT count(*)::float8 AS n FROM ads;
