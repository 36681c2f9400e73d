-- ?1 queue, ?2 payload, ?3 priority, ?4 unique key or NULL, ?5 max attempts,
-- ?6 created at, ?7 run at.
INSERT INTO "{{prefix}}tasks"
    (queue, payload, priority, unique_key, state, max_attempts, created_at, run_at)
VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7)
RETURNING id;
