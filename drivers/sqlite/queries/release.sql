-- Gives task ?1 back to pending, available from ?2, recording error text ?3
-- unless it is empty; ?4 is 1 to give back the attempt its claim counted.
UPDATE "{{prefix}}tasks"
SET state = 'pending',
    run_at = ?2,
    last_error = CASE WHEN ?3 = '' THEN last_error ELSE ?3 END,
    attempt = max(attempt - ?4, 0),
    lease_expires_at = NULL
WHERE id = ?1;
