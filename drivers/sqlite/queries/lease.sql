-- Leases the tasks whose IDs are in the JSON array ?1 until ?2, counting an
-- attempt and taking a fresh token for each. Rows come back in no order.
UPDATE "{{prefix}}tasks"
SET state = 'running',
    attempt = attempt + 1,
    lease_token = lease_token + 1,
    lease_expires_at = ?2
WHERE id IN (SELECT value FROM json_each(?1))
RETURNING id, queue, payload, priority, unique_key, state, attempt, max_attempts,
          last_error, created_at, run_at, lease_expires_at, finalized_at, lease_token;
