-- ?1 queue, ?2 payload, ?3 priority, ?4 unique key or NULL, ?5 max attempts,
-- ?6 created at, ?7 run at. The new task's ID is the statement's last insert
-- row ID (id is the table's row ID), read without RETURNING, whose result
-- rows cost a temporary table and a cursor at every call.
INSERT INTO "{{prefix}}tasks"
    (queue, payload, priority, unique_key, state, max_attempts, created_at, run_at)
VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7);
