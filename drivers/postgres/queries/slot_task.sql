-- Records the task of the slot just taken: the created task, or the
-- holder of its unique key. $1 queue, $2 schedule name, $3 task ID.
UPDATE {{schema}}.gosk_schedules SET last_task = $3 WHERE queue = $1 AND name = $2;
