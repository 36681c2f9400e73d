-- ?1 queue, ?2 after-ID, ?3 JSON array of states or NULL for all, ?4 limit.
SELECT t.id, queue, COALESCE(p.data, payload), priority, unique_key, state, attempt, max_attempts,
       last_error, created_at, run_at, lease_expires_at, finalized_at, result
FROM "{{prefix}}tasks" AS t
LEFT JOIN "{{prefix}}payloads" AS p ON p.task_id = t.id
WHERE queue = ?1
  AND t.id > ?2
  AND (?3 IS NULL OR state IN (SELECT value FROM json_each(?3)))
ORDER BY t.id
LIMIT ?4;
