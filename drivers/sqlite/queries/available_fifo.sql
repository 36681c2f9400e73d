-- Fifo: up to ?3 available tasks of queue ?1 at time ?2, oldest run-at
-- first, then lowest ID. Pending tasks and lapsed leases are each read in
-- index order and limited before they are merged, so a long backlog costs
-- a claim nothing.
SELECT id FROM (
    SELECT * FROM (
        SELECT id, run_at FROM "{{prefix}}tasks"
        WHERE queue = ?1 AND state = 'pending' AND run_at <= ?2
        ORDER BY run_at, id LIMIT ?3)
    UNION ALL
    SELECT * FROM (
        SELECT id, run_at FROM "{{prefix}}tasks"
        WHERE queue = ?1 AND state = 'running' AND lease_expires_at <= ?2
        ORDER BY run_at, id LIMIT ?3)
)
ORDER BY run_at, id
LIMIT ?3;
