-- 002: task results, paused queues and the slots of periodic schedules.
--
-- {{schema}} is replaced by the quoted schema name before this file runs.

-- A completed task's result, as its handler stored it; NULL when none was.
ALTER TABLE {{schema}}.gosk_tasks ADD COLUMN result bytea;

-- A queue is paused while it has a row here: Claim hands out none of its
-- tasks. Creates go on as usual.
CREATE TABLE {{schema}}.gosk_paused_queues (
    queue     text        PRIMARY KEY,
    paused_at timestamptz NOT NULL DEFAULT now()
);

-- The latest slot of each schedule that became a task: a slot is created
-- only if it is later than this one, in the same transaction that creates
-- its task, so every slot becomes one task however many processes run the
-- schedule.
CREATE TABLE {{schema}}.gosk_schedules (
    queue      text        NOT NULL,
    name       text        NOT NULL,
    last_slot  timestamptz NOT NULL,
    last_task  bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue, name)
);
