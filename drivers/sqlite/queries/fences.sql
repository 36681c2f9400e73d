-- State and lease token of the tasks whose IDs are in the JSON array ?1,
-- for deciding fencing in Go.
SELECT id, state, lease_token, queue FROM "{{prefix}}tasks"
WHERE id IN (SELECT value FROM json_each(?1));
