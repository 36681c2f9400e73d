-- Applies outcomes, each fenced by its lease, in one statement: a row
-- changes only while running under the named token. One row per input
-- whose task exists: its position in the input (1-based), applied, and
-- the task's state and token as locked. Keep this header short: tests find
-- the statement by the schema name, which must lie in the first 1024
-- bytes that pg_stat_activity keeps.
-- $1 IDs, $2 tokens, $3 target states, $4 messages ('' keeps the last
-- error), $5 release delays (µs), $6 keep-attempt flags, $7 the notify
-- channel, $8 results (NULL: none). No join pairs rows with the input:
-- each input is reached by its position, so the work grows with the batch.
WITH locked AS MATERIALIZED (
    -- Locks in task-ID order whatever the input's: no deadlocks.
    SELECT t.id, t.state, t.lease_token, array_position($1::bigint[], t.id) AS ord
    FROM {{schema}}.gosk_tasks t
    WHERE t.id = ANY($1::bigint[])
    ORDER BY t.id
    FOR NO KEY UPDATE
),
finished AS (
    UPDATE {{schema}}.gosk_tasks t
    SET state = ($3::text[])[l.ord],
        last_error = CASE WHEN ($4::text[])[l.ord] <> '' THEN ($4::text[])[l.ord] ELSE t.last_error END,
        attempt = CASE WHEN ($6::boolean[])[l.ord] THEN greatest(t.attempt - 1, 0) ELSE t.attempt END,
        run_at = CASE WHEN ($3::text[])[l.ord] = 'pending'
                      THEN now() + ($5::bigint[])[l.ord] * interval '1 microsecond' ELSE t.run_at END,
        lease_expires_at = NULL,
        finalized_at = CASE WHEN ($3::text[])[l.ord] = 'pending' THEN NULL ELSE now() END,
        result = CASE WHEN ($3::text[])[l.ord] = 'completed' THEN ($8::bytea[])[l.ord] END
    FROM locked l
    WHERE t.id = l.id AND t.lease_token = ($2::bigint[])[l.ord] AND t.state = 'running'
    RETURNING l.ord, t.queue, ($3::text[])[l.ord] = 'pending' AND ($5::bigint[])[l.ord] = 0 AS available
),
woken AS (
    SELECT count(*) AS n
    FROM (SELECT pg_notify($7, q.queue) FROM (SELECT DISTINCT queue FROM finished WHERE available) q) n
)
SELECT f.ord, true, NULL::text, NULL::bigint FROM finished f
UNION ALL
SELECT l.ord, false, l.state, l.lease_token FROM locked l CROSS JOIN woken;
