-- Before each first load: loans and everything the loader keeps about earlier loads, emptied, so
-- that the next load really is a first load into an empty table.
TRUNCATE loans, loads, load_rejects, loans_changes;
