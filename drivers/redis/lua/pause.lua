-- pause.lua: pause queues that share this slot, by setting each one's
-- paused flag (which claim.lua checks).
-- ARGV: queues. Reply: 0.
for _, q in ipairs(ARGV) do
  redis.call('SET', qkey(q, 'paused'), '1')
end
return 0
