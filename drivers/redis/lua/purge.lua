-- purge.lua: delete up to limit final tasks of a queue finalised at least
-- a given age ago, oldest first. Each final state has its own set scored
-- by finalisation time: the oldest of each are merged by time, then ID.
-- ARGV: queue, age (µs), limit. Reply: how many were deleted.
local q, age, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local cutoff = now_us() - age
local due = {}
for _, st in ipairs(FINAL) do
  local v = redis.call('ZRANGEBYSCORE', qkey(q, st), '-inf', cutoff, 'WITHSCORES', 'LIMIT', 0, limit)
  for i = 1, #v, 2 do
    due[#due + 1] = {id = v[i], at = tonumber(v[i + 1]), state = st}
  end
end
table.sort(due, function(a, b)
  if a.at ~= b.at then
    return a.at < b.at
  end
  return a.id < b.id
end)
local n = math.min(limit, #due)
for i = 1, n do
  delete(q, due[i].id, due[i].state)
end
return n
