-- purge.lua: delete up to limit final tasks of a queue finalised at least
-- a given age ago.
-- ARGV: queue, age (µs), limit. Reply: how many were deleted.
local q, age, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local cutoff = now_us() - age
local n = 0
for _, st in ipairs(FINAL) do
  if n >= limit then
    break
  end
  local ids = redis.call('ZRANGEBYSCORE', qkey(q, st), '-inf', cutoff, 'LIMIT', 0, limit - n)
  for _, id in ipairs(ids) do
    delete(q, id, st)
    n = n + 1
  end
end
return n
