-- The newest task, in any state, with each of the given unique keys. Used
-- only in the rare case where the task that blocked an insert was finalised
-- before create_existing.sql could read it: that task held the key when the
-- insert ran, so it is the duplicate's answer.
-- $1 queues, $2 unique keys, pairwise.
SELECT DISTINCT ON (t.queue, t.unique_key) t.queue, t.unique_key, t.id
FROM {{schema}}.gosk_tasks t
JOIN unnest($1::text[], $2::text[]) AS k (queue, unique_key)
  ON t.queue = k.queue AND t.unique_key = k.unique_key
ORDER BY t.queue, t.unique_key, t.id DESC;
