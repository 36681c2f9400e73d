-- Takes a schedule's first slot if it has none yet (Slot.Expect with no
-- latest slot): the row is inserted and returned; if the schedule has a
-- row (or another transaction inserting one commits first), nothing is
-- returned.
-- $1 queue, $2 schedule name, $3 slot.
INSERT INTO {{schema}}.gosk_schedules (queue, name, last_slot, last_task)
VALUES ($1, $2, $3, 0)
ON CONFLICT (queue, name) DO NOTHING
RETURNING last_slot;
