-- Fails the running tasks of a queue whose lease ran out on their last
-- allowed attempt, taking the lease from its holder.
-- ?1 queue, ?2 now, ?3 error text.
UPDATE "{{prefix}}tasks"
SET state = 'failed',
    last_error = ?3,
    finalized_at = ?2,
    lease_token = lease_token + 1,
    lease_expires_at = NULL
WHERE queue = ?1
  AND state = 'running'
  AND lease_expires_at <= ?2
  AND attempt >= max_attempts;
