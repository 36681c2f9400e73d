-- The latest slot of a schedule. $1 queue, $2 schedule name.
SELECT last_slot FROM {{schema}}.gosk_schedules WHERE queue = $1 AND name = $2;
