-- ?1: task ID.
SELECT id, queue, payload, priority, unique_key, state, attempt, max_attempts,
       last_error, created_at, run_at, lease_expires_at, finalized_at, result
FROM "{{prefix}}tasks"
WHERE id = ?1;
