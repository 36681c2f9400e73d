-- Moves task ?1 to the final state ?2 at time ?3, recording error text ?4
-- unless it is empty, and storing result ?5 (NULL for none).
UPDATE "{{prefix}}tasks"
SET state = ?2,
    finalized_at = ?3,
    last_error = CASE WHEN ?4 = '' THEN last_error ELSE ?4 END,
    lease_expires_at = NULL,
    result = ?5
WHERE id = ?1;
