-- The IDs that origin tasks were imported as before, served by the
-- primary key of gosk_import_origins. $1 queues, $2 origins, $3 origin
-- task IDs, each an array of the same length.
-- Per input found, in order: its place in the input (from 1) and the ID
-- it was imported as.
SELECT i.ord, o.task_id
FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS i (queue, origin, origin_id, ord)
JOIN {{schema}}.gosk_import_origins o
  ON o.queue = i.queue AND o.origin = i.origin AND o.origin_id = i.origin_id
ORDER BY i.ord;
