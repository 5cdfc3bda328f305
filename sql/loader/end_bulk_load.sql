-- After the COPY into an empty loans: the insert trigger on again, and the load's range of days
-- logged in loans_changes, as the trigger would have (migration 0011). COMMIT fails without it.
SELECT end_bulk_load_into_empty_loans();
