-- First step of an import: draws an ID for each origin task and records
-- the origin with it, unless the origin was imported into its queue
-- before. Rows go in in one order whatever the batch's, so that importers
-- whose batches overlap wait for each other instead of deadlocking; a row
-- that another transaction inserted and has not committed makes this one
-- wait for it, then skip the row if it committed.
-- $1 queues, $2 origins, $3 origin task IDs, $4 the ID sequence.
-- Per input, in order: the drawn ID, and whether the origin was recorded.
WITH input AS MATERIALIZED (
    SELECT nextval($4::text::regclass) AS id, i.*
    FROM unnest($1::text[], $2::text[], $3::bigint[])
        WITH ORDINALITY AS i (queue, origin, origin_id, ord)
),
recorded AS (
    INSERT INTO {{schema}}.gosk_import_origins (queue, origin, origin_id, task_id)
    SELECT queue, origin, origin_id, id
    FROM input
    ORDER BY queue, origin, origin_id
    ON CONFLICT DO NOTHING
    RETURNING task_id
)
SELECT i.id, r.task_id IS NOT NULL
FROM input i
LEFT JOIN recorded r ON r.task_id = i.id
ORDER BY i.ord;
