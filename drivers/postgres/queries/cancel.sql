-- Cancels pending or running tasks from outside. The lease token goes up so
-- that the worker holding a running task loses its lease. For each input the
-- result says whether it applied and whether the task exists.
-- $1 task IDs.
WITH input AS (
    SELECT * FROM unnest($1::bigint[]) WITH ORDINALITY AS i (id, ord)
),
locked AS MATERIALIZED (
    -- Row locks are taken here, in task-ID order whatever the order of the
    -- input, so that statements over shared rows cannot deadlock.
    SELECT t.id
    FROM {{schema}}.gosk_tasks t
    WHERE t.id = ANY($1::bigint[])
    ORDER BY t.id
    FOR NO KEY UPDATE
),
cancelled AS (
    UPDATE {{schema}}.gosk_tasks t
    SET state = 'cancelled',
        lease_token = t.lease_token + 1,
        lease_expires_at = NULL,
        finalized_at = now()
    FROM locked l
    WHERE t.id = l.id AND t.state IN ('pending', 'running')
    RETURNING t.id
)
SELECT c.id IS NOT NULL, t.id IS NOT NULL
FROM input i
LEFT JOIN cancelled c ON c.id = i.id
LEFT JOIN {{schema}}.gosk_tasks t ON t.id = i.id
ORDER BY i.ord;
