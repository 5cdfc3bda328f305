-- A reader of the catalog (the query and kpis commands): one snapshot for all it reads, and
-- PostgreSQL itself refuses any write.
BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;
