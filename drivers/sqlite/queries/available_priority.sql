-- Priority: up to ?3 available tasks of queue ?1 at time ?2, highest
-- priority first, then oldest run-at, then lowest ID.
SELECT id FROM (
    SELECT * FROM (
        SELECT id, priority, run_at FROM "{{prefix}}tasks"
        WHERE queue = ?1 AND state = 'pending' AND run_at <= ?2
        ORDER BY priority DESC, run_at, id LIMIT ?3)
    UNION ALL
    SELECT * FROM (
        SELECT id, priority, run_at FROM "{{prefix}}tasks"
        WHERE queue = ?1 AND state = 'running' AND lease_expires_at <= ?2
        ORDER BY priority DESC, run_at, id LIMIT ?3)
)
ORDER BY priority DESC, run_at, id
LIMIT ?3;
