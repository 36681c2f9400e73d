-- Takes a schedule's slot if the schedule's latest is exactly the one the
-- caller expects (Slot.Expect): the row is moved to the slot and
-- returned, and stays locked until the transaction that creates the
-- slot's task commits; otherwise nothing is returned.
-- $1 queue, $2 schedule name, $3 slot, $4 the expected latest slot.
UPDATE {{schema}}.gosk_schedules
SET last_slot = $3, last_task = 0, updated_at = now()
WHERE queue = $1 AND name = $2 AND last_slot = $4 AND last_slot < $3
RETURNING last_slot;
