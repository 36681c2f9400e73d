-- Ends the pause of queue ?1, if it has one.
DELETE FROM "{{prefix}}paused_queues" WHERE queue = ?1;
