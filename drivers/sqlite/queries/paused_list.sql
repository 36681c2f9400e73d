-- The paused queues, in ascending byte order (TEXT compares as BINARY).
SELECT queue FROM "{{prefix}}paused_queues" ORDER BY queue;
