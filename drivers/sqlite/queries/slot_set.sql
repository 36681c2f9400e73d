-- ?1 queue, ?2 schedule name, ?3 slot (Unix ns), ?4 the slot's task ID
-- (or the holder of its unique key), ?5 now: records the slot as the
-- schedule's latest, if it is later than the one recorded.
INSERT INTO "{{prefix}}schedules" (queue, name, last_slot, last_task, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (queue, name) DO UPDATE
SET last_slot = excluded.last_slot, last_task = excluded.last_task, updated_at = excluded.updated_at
WHERE excluded.last_slot > last_slot;
