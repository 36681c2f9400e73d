-- ?1 queue, ?2 schedule name: the schedule's latest slot (Unix ns).
SELECT last_slot FROM "{{prefix}}schedules" WHERE queue = ?1 AND name = ?2;
