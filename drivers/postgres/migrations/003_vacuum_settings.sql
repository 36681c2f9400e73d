-- 003: autovacuum settings of the task table that do not grow with it.
--
-- {{schema}} is replaced by the quoted schema name before this file runs.
--
-- Every claim, finish and cancel leaves a dead row version, and its entry
-- in the pending indexes, until a vacuum removes them; a claim walks the
-- dead entries that precede the first live one. PostgreSQL's default
-- vacuums a table once a fifth of its rows are dead, so a table that keeps
-- 1,000,000 final tasks for retention would collect 200,000 dead entries
-- between vacuums, and claims would slow down with the tasks kept. A fixed
-- threshold vacuums after the same number of changes however many rows
-- the table holds, and index cleanup on makes even a small vacuum remove
-- the dead index entries (by default PostgreSQL skips the indexes when few
-- heap pages hold dead rows, which is when the claims' index is full of
-- them).
ALTER TABLE {{schema}}.gosk_tasks SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 10000,
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 100000,
    autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 10000,
    vacuum_index_cleanup = on
);
