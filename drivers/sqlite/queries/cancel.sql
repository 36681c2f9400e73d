-- Cancels pending or running task ?1 at time ?2. The lease token goes up
-- either way: a running task's lease is taken from its holder, and a lease
-- that already released the task finds it cancelled by someone else
-- (ErrLeaseLost), not finalised by itself (ErrTaskConflict).
UPDATE "{{prefix}}tasks"
SET state = 'cancelled',
    finalized_at = ?2,
    lease_token = lease_token + 1,
    lease_expires_at = NULL
WHERE id = ?1;
