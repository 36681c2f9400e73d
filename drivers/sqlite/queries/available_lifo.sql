-- Lifo: up to ?3 available tasks of queue ?1 at time ?2, newest run-at
-- first, then highest ID.
SELECT id FROM (
    SELECT * FROM (
        SELECT id, run_at FROM "{{prefix}}tasks"
        WHERE queue = ?1 AND state = 'pending' AND run_at <= ?2
        ORDER BY run_at DESC, id DESC LIMIT ?3)
    UNION ALL
    SELECT * FROM (
        SELECT id, run_at FROM "{{prefix}}tasks"
        WHERE queue = ?1 AND state = 'running' AND lease_expires_at <= ?2
        ORDER BY run_at DESC, id DESC LIMIT ?3)
)
ORDER BY run_at DESC, id DESC
LIMIT ?3;
