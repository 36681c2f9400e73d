-- Applies a batch of outcomes, each fenced by its lease, in one statement.
-- A row is changed only while it is running under the named token. For each
-- input the result says whether it applied and, if not, the task's state and
-- token as the statement saw them (NULL if there is no such task), from
-- which the driver decides the error by the fencing order.
--
-- $1 task IDs, $2 lease tokens, $3 target states, $4 messages ('' keeps the
-- last error), $5 release delays in microseconds, $6 keep-attempt flags,
-- $7 the notify channel.
WITH input AS (
    SELECT *
    FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::boolean[])
        WITH ORDINALITY AS i (id, token, state, message, delay_us, keep_attempt, ord)
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
finished AS (
    UPDATE {{schema}}.gosk_tasks t
    SET state = i.state,
        last_error = CASE WHEN i.message <> '' THEN i.message ELSE t.last_error END,
        attempt = CASE WHEN i.keep_attempt THEN greatest(t.attempt - 1, 0) ELSE t.attempt END,
        run_at = CASE WHEN i.state = 'pending' THEN now() + i.delay_us * interval '1 microsecond' ELSE t.run_at END,
        lease_expires_at = NULL,
        finalized_at = CASE WHEN i.state = 'pending' THEN NULL ELSE now() END
    FROM locked l
    JOIN input i ON i.id = l.id
    WHERE t.id = l.id AND t.lease_token = i.token AND t.state = 'running'
    RETURNING t.id, t.queue, i.state = 'pending' AND i.delay_us = 0 AS available
),
woken AS (
    SELECT count(*) AS n
    FROM (SELECT pg_notify($7, q.queue) FROM (SELECT DISTINCT queue FROM finished WHERE available) q) n
)
SELECT f.id IS NOT NULL, t.state, t.lease_token
FROM input i
LEFT JOIN finished f ON f.id = i.id
LEFT JOIN {{schema}}.gosk_tasks t ON t.id = i.id
CROSS JOIN woken
ORDER BY i.ord;
