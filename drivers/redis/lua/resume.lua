-- resume.lua: end the pause of queues that share this slot, and wake each
-- queue's subscribers.
-- ARGV: queues. Reply: 0.
for _, q in ipairs(ARGV) do
  redis.call('DEL', qkey(q, 'paused'))
  wake(q)
end
return 0
