-- Cancels pending or running task ?1 at time ?2; a running task's lease is
-- taken from its holder.
UPDATE "{{prefix}}tasks"
SET state = 'cancelled',
    finalized_at = ?2,
    lease_token = lease_token + (state = 'running'),
    lease_expires_at = NULL
WHERE id = ?1;
