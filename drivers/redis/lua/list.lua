-- list.lua: one bounded step of Admin.List.
-- ARGV: queue, after-ID, limit, scan budget, then the wanted states (none:
-- all). Reply: {records, last ID scanned, 1 if the queue has no more IDs}.
-- The driver calls it again from the last ID scanned until it has limit
-- records or the queue is exhausted.
local q, after, limit, budget = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local want = nil
if #ARGV > 4 then
  want = {}
  for i = 5, #ARGV do
    want[ARGV[i]] = true
  end
end
local ids = redis.call('ZRANGEBYSCORE', qkey(q, 'all'), '(' .. after, '+inf', 'LIMIT', 0, budget)
local out = {}
local last = after
for _, id in ipairs(ids) do
  last = id
  local rec = record(id)
  if rec[2] and (want == nil or want[rec[6]]) then -- rec[2] is false if the task is gone
    out[#out + 1] = rec
    if #out >= limit then
      return {out, last, 0}
    end
  end
end
local done = 0
if #ids < budget then
  done = 1
end
return {out, last, done}
