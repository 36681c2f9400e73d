-- Cancels pending or running tasks from outside. The lease token goes up so
-- that the worker holding a running task loses its lease. For each input the
-- result says whether it applied and whether the task exists.
-- $1 task IDs.
WITH input AS (
    SELECT * FROM unnest($1::bigint[]) WITH ORDINALITY AS i (id, ord)
),
cancelled AS (
    UPDATE {{schema}}.gosk_tasks t
    SET state = 'cancelled',
        lease_token = t.lease_token + 1,
        lease_expires_at = NULL,
        finalized_at = now()
    FROM input i
    WHERE t.id = i.id AND t.state IN ('pending', 'running')
    RETURNING t.id
)
SELECT c.id IS NOT NULL, t.id IS NOT NULL
FROM input i
LEFT JOIN cancelled c ON c.id = i.id
LEFT JOIN {{schema}}.gosk_tasks t ON t.id = i.id
ORDER BY i.ord;
