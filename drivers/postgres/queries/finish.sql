-- Applies outcomes, each fenced by its lease, in one statement: a row
-- changes only while running under the named token. Per input: applied,
-- and the task's state and token as seen (NULL: no such task). Keep this
-- header short: tests find the statement by the schema name, which must
-- lie in the first 1024 bytes that pg_stat_activity keeps.
-- $1 IDs, $2 tokens, $3 target states, $4 messages ('' keeps the last
-- error), $5 release delays (µs), $6 keep-attempt flags, $7 the notify
-- channel, $8 results (NULL: none).
WITH input AS (
    SELECT *
    FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::boolean[], $8::bytea[])
        WITH ORDINALITY AS i (id, token, state, message, delay_us, keep_attempt, result, ord)
),
locked AS MATERIALIZED (
    -- Locks in task-ID order whatever the input's: no deadlocks.
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
        finalized_at = CASE WHEN i.state = 'pending' THEN NULL ELSE now() END,
        result = CASE WHEN i.state = 'completed' THEN i.result END
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
