-- Extends each lease that holds to now plus $3 microseconds and reports, per
-- input lease, whether it was extended and whether the task exists.
-- $1 task IDs, $2 lease tokens, pairwise.
WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS i (id, token, ord)
),
extended AS (
    UPDATE {{schema}}.gosk_tasks t
    SET lease_expires_at = now() + $3 * interval '1 microsecond'
    FROM input i
    WHERE t.id = i.id AND t.lease_token = i.token AND t.state = 'running'
    RETURNING t.id
)
SELECT x.id IS NOT NULL, t.id IS NOT NULL
FROM input i
LEFT JOIN extended x ON x.id = i.id
LEFT JOIN {{schema}}.gosk_tasks t ON t.id = i.id
ORDER BY i.ord;
