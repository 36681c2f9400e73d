-- The IDs of the pending or running tasks that hold the given unique keys,
-- served by the partial unique index. $1 queues, $2 unique keys, pairwise.
SELECT t.queue, t.unique_key, t.id
FROM {{schema}}.gosk_tasks t
JOIN unnest($1::text[], $2::text[]) AS k (queue, unique_key)
  ON t.queue = k.queue AND t.unique_key = k.unique_key
WHERE t.state IN ('pending', 'running');
