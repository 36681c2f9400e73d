-- Ends the pause of the queues of the array $1 and notifies each on
-- channel $2, so that their workers claim at once.
WITH resumed AS (
    DELETE FROM {{schema}}.gosk_paused_queues
    WHERE queue = ANY ($1::text[])
)
SELECT count(pg_notify($2, q))
FROM (SELECT DISTINCT unnest($1::text[]) AS q) n;
