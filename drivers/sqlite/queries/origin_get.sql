-- ?1 queue, ?2 origin, ?3 the task's ID on its origin: the ID it was
-- imported as.
SELECT task_id FROM "{{prefix}}origins" WHERE queue = ?1 AND origin = ?2 AND origin_id = ?3;
