-- The paused queues, in byte order whatever the database's collation.
SELECT queue FROM {{schema}}.gosk_paused_queues ORDER BY queue COLLATE "C";
