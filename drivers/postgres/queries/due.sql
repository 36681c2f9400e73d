-- For each queue of the array $1, in its order: microseconds from now
-- until the earliest of its pending tasks' run-at and its running tasks'
-- lease end (negative if that has passed), or NULL if it has neither or
-- is paused. Each minimum is the first entry of a partial index.
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM {{schema}}.gosk_paused_queues p WHERE p.queue = i.queue) THEN NULL
    ELSE ceil(extract(epoch FROM least(
        (SELECT t.run_at FROM {{schema}}.gosk_tasks t
         WHERE t.queue = i.queue AND t.state = 'pending'
         ORDER BY t.run_at LIMIT 1),
        (SELECT t.lease_expires_at FROM {{schema}}.gosk_tasks t
         WHERE t.queue = i.queue AND t.state = 'running'
         ORDER BY t.lease_expires_at LIMIT 1)
    ) - now()) * 1000000)::bigint
    END
FROM unnest($1::text[]) WITH ORDINALITY AS i(queue, n)
ORDER BY i.n;
