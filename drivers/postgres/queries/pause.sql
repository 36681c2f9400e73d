-- Pauses the queues of the array $1; a paused queue keeps its first pause.
INSERT INTO {{schema}}.gosk_paused_queues (queue)
SELECT DISTINCT unnest($1::text[])
ON CONFLICT (queue) DO NOTHING;
