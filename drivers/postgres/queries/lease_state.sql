-- The current state and lease token of the given tasks, read in a fresh
-- snapshot when a fenced change did not apply although the statement's own
-- snapshot said it would (a concurrent change won the row).
SELECT id, state, lease_token
FROM {{schema}}.gosk_tasks
WHERE id = ANY($1::bigint[]);
