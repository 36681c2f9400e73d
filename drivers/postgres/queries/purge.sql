-- Deletes up to $3 final tasks of queue $1 finalised at least $2
-- microseconds ago, oldest first; rows another purge holds are skipped.
WITH doomed AS (
    SELECT id
    FROM {{schema}}.gosk_tasks
    WHERE queue = $1
      AND state IN ('completed', 'cancelled', 'failed')
      AND finalized_at <= now() - $2 * interval '1 microsecond'
    ORDER BY finalized_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
DELETE FROM {{schema}}.gosk_tasks t
USING doomed d
WHERE t.id = d.id;
