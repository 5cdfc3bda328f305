-- Exports of one date ($1) take turns until their transaction ends (lake/catalogExport.ts): each
-- reads the date's files after the lock is granted and writes before it is released, so the last
-- export written is also the one that read the latest commit.
SELECT pg_advisory_xact_lock(hashtext('lake catalog export'), hashtext($1::date::text));
