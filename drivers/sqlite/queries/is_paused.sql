-- ?1 queue: 1 if it is paused, else no row.
SELECT 1 FROM "{{prefix}}paused_queues" WHERE queue = ?1;
