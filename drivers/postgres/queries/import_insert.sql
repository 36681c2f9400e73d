-- Second step of an import: inserts the tasks whose origins the first
-- step recorded, each with its record as given and the ID drawn for it.
-- A pending task whose queue and unique key belong to a pending or running
-- task is skipped by ON CONFLICT, and its origin's record is deleted
-- again (it was inserted by this transaction's first step, so no one else
-- has seen it); the caller looks up the holder's ID. Queues that got a
-- pending task whose run-at has come are notified (delivered on commit).
-- $1 IDs, $2 queues, $3 payloads, $4 priorities, $5 unique keys ('' for
-- none), $6 states, $7 attempts, $8 max attempts, $9 last errors, $10
-- created-at, $11 run-at, $12 finalised-at (NULL while pending), $13
-- results (NULL for none), $14 the notify channel.
-- Per input, in order: whether it was inserted.
WITH input AS (
    SELECT *
    FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::smallint[], $5::text[], $6::text[],
                $7::integer[], $8::integer[], $9::text[], $10::timestamptz[], $11::timestamptz[],
                $12::timestamptz[], $13::bytea[])
        WITH ORDINALITY AS i (id, queue, payload, priority, unique_key, state, attempt, max_attempts,
                              last_error, created_at, run_at, finalized_at, result, ord)
),
inserted AS (
    INSERT INTO {{schema}}.gosk_tasks (id, queue, state, payload, priority, unique_key, attempt,
                                       max_attempts, last_error, created_at, run_at, finalized_at, result)
    SELECT id, queue, state, coalesce(payload, ''), priority, nullif(unique_key, ''), attempt,
           max_attempts, last_error, created_at, run_at, finalized_at, result
    FROM input
    -- Keyed rows go in in one order whatever the batch's, as create.sql's
    -- do; within a key, in batch order, so that the first task holds it.
    ORDER BY queue, unique_key, ord
    ON CONFLICT DO NOTHING
    RETURNING id, queue, state = 'pending' AND run_at <= now() AS available
),
unrecorded AS (
    DELETE FROM {{schema}}.gosk_import_origins o
    USING input i
    WHERE o.task_id = i.id
      AND o.queue = i.queue
      AND NOT EXISTS (SELECT 1 FROM inserted d WHERE d.id = i.id)
),
woken AS (
    SELECT count(*) AS n
    FROM (SELECT pg_notify($14, q.queue) FROM (SELECT DISTINCT queue FROM inserted WHERE available) q) n
)
SELECT d.id IS NOT NULL
FROM input i
LEFT JOIN inserted d ON d.id = i.id
CROSS JOIN woken
ORDER BY i.ord;
