-- ?1 queue, ?2 payload, ?3 priority, ?4 unique key or NULL, ?5 state,
-- ?6 attempt, ?7 max attempts, ?8 last error, ?9 created at, ?10 run at,
-- ?11 finalised at or NULL, ?12 result or NULL: a task copied from another
-- store, with the record it had there.
INSERT INTO "{{prefix}}tasks"
    (queue, payload, priority, unique_key, state, attempt, max_attempts, last_error,
     created_at, run_at, finalized_at, result)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
RETURNING id;
