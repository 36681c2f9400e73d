-- The queues that hold a task or are paused, in ascending byte order
-- (TEXT compares as BINARY).
SELECT queue FROM "{{prefix}}tasks"
UNION
SELECT queue FROM "{{prefix}}paused_queues"
ORDER BY queue;
