-- Deletes up to ?3 final tasks of queue ?1 finalised at or before ?2,
-- oldest first.
DELETE FROM "{{prefix}}tasks"
WHERE id IN (
    SELECT id FROM "{{prefix}}tasks"
    WHERE queue = ?1 AND finalized_at IS NOT NULL AND finalized_at <= ?2
    ORDER BY finalized_at
    LIMIT ?3);
