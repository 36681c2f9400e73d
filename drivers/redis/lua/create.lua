-- create.lua: store a batch of new tasks of one slot.
-- ARGV: slot, first sequence number ('0': allocate here), count, then six
-- per task: queue, payload, priority, delay (µs), max attempts, unique key.
-- Reply: per task, the ID and OK or DUPLICATE (with the holder's ID).
local slot = tonumber(ARGV[1])
local count = tonumber(ARGV[3])
local seq = tonumber(ARGV[2])
if seq == 0 then
  seq = redis.call('INCRBY', BASE .. 'seq', count) - count + 1
end
local now = now_us()
local out = {}
local woken = {}
for i = 0, count - 1 do
  local j = 4 + i * 6
  local q, payload, pr, delay, ma, uk = ARGV[j], ARGV[j + 1], tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), ARGV[j + 4], ARGV[j + 5]
  local holder = false
  if uk ~= '' then
    holder = redis.call('HGET', qkey(q, 'unique'), uk)
  end
  if holder then
    out[#out + 1] = holder
    out[#out + 1] = DUPLICATE
  else
    local n = (seq + i) * 16384 + slot
    local id = id16(n)
    local r = now + delay
    write(id, {q, payload, pr, uk, 'pending', 0, ma, '', now, r, 0, 0, 0, false})
    redis.call('ZADD', qkey(q, 'all'), n, id)
    add_pending(q, id, pr, r, now)
    if uk ~= '' then
      redis.call('HSET', qkey(q, 'unique'), uk, id)
    end
    if delay == 0 then
      woken[q] = true
    end
    out[#out + 1] = id
    out[#out + 1] = OK
  end
end
for q in pairs(woken) do
  wake(q)
end
return out
