-- Taken first by every load and held until it ends: one load at a time, and no other writer of
-- loans meanwhile, so the loans version a load records is the one it left behind (migration 0006).
-- Readers (the scheduler, Adminer) are not blocked.
LOCK TABLE loans IN SHARE ROW EXCLUSIVE MODE;
