-- Claims up to $2 available tasks of queue $1 in one statement, leasing each
-- for $3 microseconds. {{order}} is the priority rule's ORDER BY list, chosen
-- from a fixed set by the driver.
--
-- Running tasks whose lease ran out are locked first: every one on its
-- last attempt is failed with the text $4 (it does not count against $2);
-- of the others, the first $2 in rule order join the pending tasks that
-- are due as candidates, so that a lapsed task takes its place by the rule
-- as a pending task with its priority, run-at and ID would. The pending
-- scan walks a partial index over pending tasks only, in rule order, and
-- locks with SKIP LOCKED so that concurrent claimers take different tasks
-- instead of queueing. A paused queue (a row in gosk_paused_queues, one
-- primary-key probe that the plan runs once) has no candidate and fails
-- nothing.
WITH exhausted AS (
    SELECT id
    FROM {{schema}}.gosk_tasks
    WHERE queue = $1 AND state = 'running' AND lease_expires_at <= now()
      AND attempt >= max_attempts
      AND NOT EXISTS (SELECT 1 FROM {{schema}}.gosk_paused_queues WHERE queue = $1)
    FOR UPDATE SKIP LOCKED
),
lapsed AS (
    UPDATE {{schema}}.gosk_tasks t
    SET state = 'failed',
        lease_token = t.lease_token + 1,
        last_error = $4,
        lease_expires_at = NULL,
        finalized_at = now()
    FROM exhausted e
    WHERE t.id = e.id
    RETURNING t.id
),
expired AS (
    SELECT id, priority, run_at
    FROM {{schema}}.gosk_tasks
    WHERE queue = $1 AND state = 'running' AND lease_expires_at <= now()
      AND attempt < max_attempts
      AND NOT EXISTS (SELECT 1 FROM {{schema}}.gosk_paused_queues WHERE queue = $1)
    ORDER BY {{order}}
    LIMIT $2
    FOR UPDATE SKIP LOCKED
),
due AS (
    SELECT id, priority, run_at
    FROM {{schema}}.gosk_tasks
    WHERE queue = $1 AND state = 'pending' AND run_at <= now()
      AND NOT EXISTS (SELECT 1 FROM {{schema}}.gosk_paused_queues WHERE queue = $1)
    ORDER BY {{order}}
    LIMIT $2
    FOR UPDATE SKIP LOCKED
),
candidates AS (
    SELECT id, priority, run_at FROM expired
    UNION ALL
    SELECT id, priority, run_at FROM due
),
picked AS (
    SELECT id FROM candidates ORDER BY {{order}} LIMIT $2
),
claimed AS (
    UPDATE {{schema}}.gosk_tasks t
    SET state = 'running',
        attempt = t.attempt + 1,
        lease_token = t.lease_token + 1,
        lease_expires_at = now() + $3 * interval '1 microsecond'
    FROM picked p
    WHERE t.id = p.id
    RETURNING t.id, t.queue, t.payload, t.priority, t.unique_key, t.state, t.attempt,
              t.max_attempts, t.last_error, t.created_at, t.run_at, t.lease_expires_at,
              t.finalized_at, t.lease_token
)
SELECT id, queue, payload, priority, coalesce(unique_key, ''), state, attempt, max_attempts,
       last_error, created_at, run_at, lease_expires_at, finalized_at, lease_token
FROM claimed
ORDER BY {{order}};
