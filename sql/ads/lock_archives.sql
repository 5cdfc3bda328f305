-- Taken first by the archive of each day and by the removal of dead archive objects, and held
-- until their transaction ends: one of them at a time, whatever process runs it. An archive then
-- numbers its part from every part committed before it, and the removal never sees an object
-- whose archive is still being committed. Readers and ads_restore's reads are not blocked.
LOCK TABLE ad_archives IN SHARE ROW EXCLUSIVE MODE;
