-- ?1 JSON array of task IDs: the payloads kept apart of those tasks.
SELECT task_id, data
FROM "{{prefix}}payloads"
WHERE task_id IN (SELECT value FROM json_each(?1));
