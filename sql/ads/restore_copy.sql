-- One archive's JSON Lines into the restore's temporary table (begin_restore_day.sql).
COPY ads_restored (line) FROM STDIN;
