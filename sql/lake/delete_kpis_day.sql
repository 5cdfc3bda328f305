-- event_kpis (lake/kpis.ts): a day's rows go before the day is written again ($1 the day), in the
-- same transaction as insert_kpis.sql, so that readers see the old rows or the new ones.
DELETE FROM event_kpis_daily WHERE day = $1::date;
