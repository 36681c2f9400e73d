-- ?1 queue, ?2 after-ID, ?3 JSON array of states or NULL for all, ?4 limit.
SELECT id, queue, payload, priority, unique_key, state, attempt, max_attempts,
       last_error, created_at, run_at, lease_expires_at, finalized_at, result
FROM "{{prefix}}tasks"
WHERE queue = ?1
  AND id > ?2
  AND (?3 IS NULL OR state IN (SELECT value FROM json_each(?3)))
ORDER BY id
LIMIT ?4;
