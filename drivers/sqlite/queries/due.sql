-- For each queue of the JSON array ?1, in its order: the earliest of its
-- pending tasks' run-at and its running tasks' lease end, NULL when it has
-- neither or is paused. Each minimum is the first entry of an index, read
-- once (the CTE is materialized so the outer query does not repeat them).
WITH firsts AS MATERIALIZED (
    SELECT j.key, j.value,
        (SELECT run_at FROM "{{prefix}}tasks"
         WHERE queue = j.value AND state = 'pending'
         ORDER BY run_at LIMIT 1) AS run_at,
        (SELECT lease_expires_at FROM "{{prefix}}tasks"
         WHERE queue = j.value AND state = 'running'
         ORDER BY lease_expires_at LIMIT 1) AS lease_end
    FROM json_each(?1) j
)
SELECT key,
    CASE WHEN EXISTS (SELECT 1 FROM "{{prefix}}paused_queues" p WHERE p.queue = value)
    THEN NULL
    ELSE min(coalesce(run_at, lease_end), coalesce(lease_end, run_at))
    END
FROM firsts
ORDER BY key;
