-- ?1 queue, ?2 origin, ?3 the task's ID on its origin, ?4 the ID it was
-- imported as, ?5 now: records an imported origin task. The write
-- transaction has checked with origin_get.sql that it was not recorded.
INSERT INTO "{{prefix}}origins" (queue, origin, origin_id, task_id, imported_at)
VALUES (?1, ?2, ?3, ?4, ?5);
