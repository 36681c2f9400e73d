-- ?1 queue, ?2 unique key: the pending or running task holding the key.
SELECT id FROM "{{prefix}}tasks"
WHERE queue = ?1 AND unique_key = ?2 AND state IN ('pending', 'running');
