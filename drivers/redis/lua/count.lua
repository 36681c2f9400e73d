-- count.lua: how many tasks of a queue are in each state.
-- ARGV: queue. Reply: counts of pending, running, completed, cancelled,
-- failed, in that order.
local q = ARGV[1]
return {
  redis.call('ZCARD', qkey(q, 'pending')) + redis.call('ZCARD', qkey(q, 'pendingp')),
  redis.call('ZCARD', qkey(q, 'running')),
  redis.call('ZCARD', qkey(q, 'completed')),
  redis.call('ZCARD', qkey(q, 'cancelled')),
  redis.call('ZCARD', qkey(q, 'failed')),
}
