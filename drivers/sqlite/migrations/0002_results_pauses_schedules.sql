-- 0002: task results, paused queues and the slots of periodic schedules.
--
-- Times are Unix nanoseconds on the driver's clock.

-- A completed task's result, as its handler stored it; NULL when none was.
ALTER TABLE "{{prefix}}tasks" ADD COLUMN result BLOB;

-- A queue is paused while it has a row here: Claim hands out none of its
-- tasks. Creates go on as usual.
CREATE TABLE "{{prefix}}paused_queues" (
    queue     TEXT    PRIMARY KEY,
    paused_at INTEGER NOT NULL
) STRICT;

-- The latest slot of each schedule that became a task: a slot is created
-- only if it is later than this one, in the same write that creates its
-- task, so every slot becomes one task however many processes run the
-- schedule.
CREATE TABLE "{{prefix}}schedules" (
    queue      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    last_slot  INTEGER NOT NULL,
    last_task  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (queue, name)
) STRICT;
