-- ?1 task ID, ?2 payload: the payload of a task whose row holds an empty
-- one (see payloadApartMin).
INSERT INTO "{{prefix}}payloads" (task_id, data) VALUES (?1, ?2);
