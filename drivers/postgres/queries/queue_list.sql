-- The queues that hold a task or are paused, in byte order whatever the
-- database's collation.
SELECT queue FROM (
	SELECT queue FROM {{schema}}.gosk_tasks
	UNION
	SELECT queue FROM {{schema}}.gosk_paused_queues
) AS q
ORDER BY queue COLLATE "C";
