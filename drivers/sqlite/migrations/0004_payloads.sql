-- 0004: payloads of 1 KiB or more in a table of their own.
--
-- SQLite rewrites a whole row, overflow pages and all, whenever any of
-- its columns changes, and a task's row changes at every claim and
-- finish: with the payload inside it, a 10 KB payload was written to the
-- WAL three times and more. Such a task's row holds an empty payload and
-- its payload is here, written once; a trigger deletes it with its task.
-- Tasks stored before keep their payloads in their rows.
CREATE TABLE "{{prefix}}payloads" (
    task_id INTEGER PRIMARY KEY,
    data    BLOB    NOT NULL
) STRICT;

CREATE TRIGGER "{{prefix}}payloads_go_with_task"
AFTER DELETE ON "{{prefix}}tasks"
BEGIN
    DELETE FROM "{{prefix}}payloads" WHERE task_id = old.id;
END;
