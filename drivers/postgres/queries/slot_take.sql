-- Takes a schedule's slot if it is later than the schedule's latest: the
-- row is inserted, or moved to the slot, and returned; a row already at
-- the slot or later is locked but left alone, and nothing is returned.
-- The lock is held until the transaction that creates the slot's task
-- commits, so a concurrent taker of the same schedule waits and then
-- compares with the slot this one took.
-- $1 queue, $2 schedule name, $3 slot.
INSERT INTO {{schema}}.gosk_schedules AS s (queue, name, last_slot, last_task)
VALUES ($1, $2, $3, 0)
ON CONFLICT (queue, name) DO UPDATE
SET last_slot = excluded.last_slot, last_task = 0, updated_at = now()
WHERE s.last_slot < excluded.last_slot
RETURNING s.last_slot;
