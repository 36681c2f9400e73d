-- ?1: task ID.
SELECT t.id, queue, COALESCE(p.data, payload), priority, unique_key, state, attempt, max_attempts,
       last_error, created_at, run_at, lease_expires_at, finalized_at, result
FROM "{{prefix}}tasks" AS t
LEFT JOIN "{{prefix}}payloads" AS p ON p.task_id = t.id
WHERE t.id = ?1;
