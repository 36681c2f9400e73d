-- Moves final task ?1 back to pending, available at ?2, attempts reset,
-- last error kept, result dropped. Fails on the live unique index if its key is taken.
UPDATE "{{prefix}}tasks"
SET state = 'pending',
    attempt = 0,
    run_at = ?2,
    finalized_at = NULL,
    lease_expires_at = NULL,
    result = NULL
WHERE id = ?1;
