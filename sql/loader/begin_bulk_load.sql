-- Before copying straight into an empty loans, under the lock of lock_loans.sql: the insert
-- trigger's transition table is switched off for this transaction (migration 0011). $1 load_id
SELECT begin_bulk_load_into_empty_loans($1);
