-- Extends the leases of the tasks whose IDs are in the JSON array ?1 to ?2.
UPDATE "{{prefix}}tasks"
SET lease_expires_at = ?2
WHERE id IN (SELECT value FROM json_each(?1));
