-- Tasks of queue $1 in states $2 (all if empty), with an ID above $3, in
-- ascending ID order, at most $4.
SELECT id, queue, payload, priority, coalesce(unique_key, ''), state, attempt, max_attempts,
       last_error, created_at, run_at, lease_expires_at, finalized_at, result
FROM {{schema}}.gosk_tasks
WHERE queue = $1
  AND (cardinality($2::text[]) = 0 OR state = ANY($2::text[]))
  AND id > $3
ORDER BY id
LIMIT $4;
