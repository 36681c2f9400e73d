-- One task's record.
SELECT id, queue, payload, priority, coalesce(unique_key, ''), state, attempt, max_attempts,
       last_error, created_at, run_at, lease_expires_at, finalized_at, result
FROM {{schema}}.gosk_tasks
WHERE id = $1;
