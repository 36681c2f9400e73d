-- Extends each lease that holds to now plus $3 microseconds and reports, per
-- input lease, whether it was extended and whether the task exists.
-- $1 task IDs, $2 lease tokens, pairwise.
WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS i (id, token, ord)
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
extended AS (
    UPDATE {{schema}}.gosk_tasks t
    SET lease_expires_at = now() + $3 * interval '1 microsecond'
    FROM locked l
    JOIN input i ON i.id = l.id
    WHERE t.id = l.id AND t.lease_token = i.token AND t.state = 'running'
    RETURNING t.id
)
SELECT x.id IS NOT NULL, t.id IS NOT NULL
FROM input i
LEFT JOIN extended x ON x.id = i.id
LEFT JOIN {{schema}}.gosk_tasks t ON t.id = i.id
ORDER BY i.ord;
