-- Moves failed or cancelled tasks back to pending, available at once, with
-- their attempt count reset, their last error kept and any result dropped. A task whose unique
-- key is now held by another pending or running task is left alone. For each
-- input the result says whether it applied, and if not the task's state and
-- whether its key is taken (NULL state: no such task).
--
-- $1 task IDs, $2 the notify channel.
WITH input AS (
    SELECT * FROM unnest($1::bigint[]) WITH ORDINALITY AS i (id, ord)
),
locked AS MATERIALIZED (
    -- Row locks are taken here, in task-ID order whatever the order of the
    -- input, so that statements over shared rows cannot deadlock. A row
    -- that a concurrent statement changed is locked, and read, as that
    -- statement left it: its state here, not in the statement's snapshot,
    -- says why a task was not retried (another retry that won the race
    -- left it pending: a conflict, not a held key).
    SELECT t.id, t.state
    FROM {{schema}}.gosk_tasks t
    WHERE t.id = ANY($1::bigint[])
    ORDER BY t.id
    FOR NO KEY UPDATE
),
retried AS (
    UPDATE {{schema}}.gosk_tasks t
    SET state = 'pending',
        attempt = 0,
        run_at = now(),
        lease_expires_at = NULL,
        finalized_at = NULL,
        result = NULL
    FROM locked l
    WHERE t.id = l.id
      AND t.state IN ('failed', 'cancelled')
      AND NOT EXISTS (
          SELECT 1 FROM {{schema}}.gosk_tasks o
          WHERE o.queue = t.queue AND o.unique_key = t.unique_key
            AND o.state IN ('pending', 'running') AND o.id <> t.id
      )
    RETURNING t.id, t.queue
),
woken AS (
    SELECT count(*) AS n
    FROM (SELECT pg_notify($2, q.queue) FROM (SELECT DISTINCT queue FROM retried) q) n
)
SELECT r.id IS NOT NULL, l.state
FROM input i
LEFT JOIN retried r ON r.id = i.id
LEFT JOIN locked l ON l.id = i.id
CROSS JOIN woken
ORDER BY i.ord;
