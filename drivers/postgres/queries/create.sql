-- Creates a batch of tasks in one statement.
--
-- Each input row draws its ID from the task sequence first, in input
-- order, so each result lines up with its input by ID. A row whose queue and unique key belong to
-- a pending or running task is skipped by ON CONFLICT; the caller looks up
-- the holder's ID with create_existing.sql. Queues that got a task available
-- at once are notified (delivered on commit).
--
-- $1 queues, $2 payloads, $3 priorities, $4 delays in microseconds,
-- $5 max attempts, $6 unique keys ('' for none), $7 the ID sequence,
-- $8 the notify channel.
WITH input AS MATERIALIZED (
    SELECT nextval($7::text::regclass) AS id, i.*
    FROM unnest($1::text[], $2::bytea[], $3::smallint[], $4::bigint[], $5::integer[], $6::text[])
        WITH ORDINALITY AS i (queue, payload, priority, delay_us, max_attempts, unique_key, ord)
),
inserted AS (
    INSERT INTO {{schema}}.gosk_tasks (id, queue, payload, priority, unique_key, max_attempts, run_at)
    SELECT id, queue, coalesce(payload, ''), priority, nullif(unique_key, ''), max_attempts,
           now() + delay_us * interval '1 microsecond'
    FROM input
    -- Keyed rows go in in one order whatever the batch's, so that creates
    -- whose keys overlap wait for each other instead of deadlocking.
    ORDER BY queue, unique_key, ord
    ON CONFLICT DO NOTHING
    RETURNING id, queue, run_at <= created_at AS available
),
woken AS (
    SELECT count(*) AS n
    FROM (SELECT pg_notify($8, q.queue) FROM (SELECT DISTINCT queue FROM inserted WHERE available) q) n
)
SELECT i.id, d.id IS NOT NULL
FROM input i
LEFT JOIN inserted d ON d.id = i.id
CROSS JOIN woken
ORDER BY i.ord;
