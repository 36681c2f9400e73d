-- Pauses queue ?1 at time ?2; a paused queue stays as it was.
INSERT INTO "{{prefix}}paused_queues" (queue, paused_at) VALUES (?1, ?2)
ON CONFLICT (queue) DO NOTHING;
